import { useState } from 'preact/hooks';
import type { Session } from './lib/api';
import { useRoute } from './router';
import { AdminConsole } from './views/admin/admin_console';
import { PhoneScreen } from './views/phone_screen';
import { SignIn } from './views/sign_in';

export interface SignedIn {
  session: Session;
  password: string;
}

// The SIP password is the sign-in password and is never stored, so every visit starts at the
// sign-in screen (no GET /api/v1/session probe: its 401 would only cost a console error).
export function App() {
  const route = useRoute();
  const [signedIn, setSignedIn] = useState<SignedIn | null>(null);
  if (route === 'admin') return <AdminConsole />;
  if (!signedIn) return <SignIn onSignedIn={setSignedIn} />;
  return <PhoneScreen signedIn={signedIn} onSignedOut={() => setSignedIn(null)} />;
}
