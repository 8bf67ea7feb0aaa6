#include "store/sqlite/migrations.hpp"

#include <array>
#include <cstdio>

namespace parley::store::sqlite {

namespace {

// Version 1: tenants, extensions, bindings, call records and the change counter.
//
// STRICT tables (SQLite 3.37+) reject values of the wrong type instead of storing them.
// The change counter is a single row bumped by triggers, so that any process writing tenants or
// extensions moves it and a server polling it notices a CLI edit; bindings and call records
// change constantly and deliberately do not touch it.
constexpr std::string_view kSchemaV1 = R"sql(
PRAGMA application_id = 1347570777;

CREATE TABLE tenants (
  id           INTEGER PRIMARY KEY,
  domain       TEXT    NOT NULL UNIQUE,
  display_name TEXT    NOT NULL DEFAULT '',
  is_default   INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
  created_at   INTEGER NOT NULL
) STRICT;
-- At most one default tenant, whoever writes the table.
CREATE UNIQUE INDEX tenants_single_default ON tenants (is_default) WHERE is_default = 1;

CREATE TABLE extensions (
  id           INTEGER PRIMARY KEY,
  tenant_id    INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  number       TEXT    NOT NULL,
  display_name TEXT    NOT NULL DEFAULT '',
  ha1_md5      TEXT    NOT NULL DEFAULT '',
  ha1_sha256   TEXT    NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  UNIQUE (tenant_id, number)
) STRICT;

CREATE TABLE bindings (
  id                 INTEGER PRIMARY KEY,
  tenant_id          INTEGER NOT NULL,
  extension          TEXT    NOT NULL,
  contact_uri        TEXT    NOT NULL,
  instance           TEXT    NOT NULL DEFAULT '',
  reg_id             INTEGER NOT NULL DEFAULT 0,
  path               TEXT    NOT NULL DEFAULT '',
  q_per_mille        INTEGER NOT NULL CHECK (q_per_mille BETWEEN 0 AND 1000),
  call_id            TEXT    NOT NULL,
  cseq               INTEGER NOT NULL,
  expires_at         INTEGER NOT NULL,
  received_transport TEXT    NOT NULL,
  received_ip        TEXT    NOT NULL,
  received_port      INTEGER NOT NULL,
  local_transport    TEXT    NOT NULL,
  local_ip           TEXT    NOT NULL,
  local_port         INTEGER NOT NULL,
  user_agent         TEXT    NOT NULL DEFAULT '',
  FOREIGN KEY (tenant_id, extension) REFERENCES extensions (tenant_id, number) ON DELETE CASCADE
) STRICT;
-- The two binding identities (RFC 3261 §10.3 and RFC 5626 §6).
CREATE UNIQUE INDEX bindings_by_contact ON bindings (tenant_id, extension, contact_uri)
  WHERE instance = '';
CREATE UNIQUE INDEX bindings_by_instance ON bindings (tenant_id, extension, instance, reg_id)
  WHERE instance <> '';
CREATE INDEX bindings_by_extension ON bindings (tenant_id, extension);
CREATE INDEX bindings_by_expiry ON bindings (expires_at);

CREATE TABLE call_records (
  id          INTEGER PRIMARY KEY,
  tenant_id   INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  call_id     TEXT    NOT NULL,
  caller      TEXT    NOT NULL,
  callee      TEXT    NOT NULL,
  start_ms    INTEGER NOT NULL,
  answer_ms   INTEGER,
  end_ms      INTEGER NOT NULL,
  disposition TEXT    NOT NULL
    CHECK (disposition IN ('answered', 'busy', 'no_answer', 'cancelled', 'failed')),
  hangup_side TEXT    NOT NULL CHECK (hangup_side IN ('caller', 'callee', 'system'))
) STRICT;
CREATE INDEX call_records_recent ON call_records (tenant_id, start_ms DESC, id DESC);

CREATE TABLE change_counter (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
) STRICT;
INSERT INTO change_counter (id, value) VALUES (1, 0);

CREATE TRIGGER tenants_inserted AFTER INSERT ON tenants
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER tenants_updated AFTER UPDATE ON tenants
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER tenants_deleted AFTER DELETE ON tenants
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER extensions_inserted AFTER INSERT ON extensions
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER extensions_updated AFTER UPDATE ON extensions
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER extensions_deleted AFTER DELETE ON extensions
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
)sql";

// Version 2: why a call ended (the media timeout is not a hang-up by either side).
constexpr std::string_view kSchemaV2 = R"sql(
ALTER TABLE call_records ADD COLUMN end_reason TEXT NOT NULL DEFAULT 'normal'
  CHECK (end_reason IN ('normal', 'media_timeout', 'shutdown'));
)sql";

// Version 3: who may administer the installation (admin accounts, web sessions, API tokens).
// Secrets are stored only as argon2id strings or SHA-256 digests. Sessions and tokens go with
// the admin, extension or tenant they belong to. None of these tables moves the change counter:
// the SIP side does not read them.
constexpr std::string_view kSchemaV3 = R"sql(
CREATE TABLE admin_accounts (
  id            INTEGER PRIMARY KEY,
  name          TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  role          TEXT    NOT NULL CHECK (role IN ('system_admin', 'tenant_admin')),
  tenant_id     INTEGER REFERENCES tenants (id) ON DELETE CASCADE,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  CHECK ((role = 'system_admin') = (tenant_id IS NULL))
) STRICT;

CREATE TABLE web_sessions (
  id_digest  TEXT    PRIMARY KEY,
  admin_id   INTEGER REFERENCES admin_accounts (id) ON DELETE CASCADE,
  tenant_id  INTEGER REFERENCES tenants (id) ON DELETE CASCADE,
  extension  TEXT,
  csrf_token TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  CHECK ((admin_id IS NULL) <> (extension IS NULL)),
  CHECK ((extension IS NULL) = (tenant_id IS NULL)),
  FOREIGN KEY (tenant_id, extension) REFERENCES extensions (tenant_id, number) ON DELETE CASCADE
) STRICT;
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);
CREATE INDEX web_sessions_by_admin ON web_sessions (admin_id);
CREATE INDEX web_sessions_by_extension ON web_sessions (tenant_id, extension);

CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY,
  token_digest TEXT    NOT NULL UNIQUE,
  tenant_id    INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name         TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  UNIQUE (tenant_id, name)
) STRICT;
)sql";

// Version 4: call recording. The policy lives in columns of tenants and extensions so that
// changing it moves the change counter (their triggers) and a running server reloads it; the
// recordings made are listed beside the call records, going with their tenant.
constexpr std::string_view kSchemaV4 = R"sql(
ALTER TABLE tenants ADD COLUMN record_calls INTEGER NOT NULL DEFAULT 0
  CHECK (record_calls IN (0, 1));
ALTER TABLE extensions ADD COLUMN recording TEXT NOT NULL DEFAULT 'inherit'
  CHECK (recording IN ('inherit', 'always', 'never'));
CREATE TABLE recordings (
  id          INTEGER PRIMARY KEY,
  tenant_id   INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  call_id     TEXT    NOT NULL,
  caller      TEXT    NOT NULL,
  callee      TEXT    NOT NULL,
  path        TEXT    NOT NULL,
  size_bytes  INTEGER NOT NULL CHECK (size_bytes >= 0),
  duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
  started_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX recordings_recent ON recordings (tenant_id, started_at DESC, id DESC);
CREATE INDEX recordings_by_call ON recordings (tenant_id, call_id);
)sql";

// Version 5: call forwarding, do-not-disturb and ring groups (issue 6). DND is a column of
// extensions (its trigger moves the change counter); forwarding rules and ring groups are tables
// with their own triggers, so a CLI change reaches a running server's dial plan within a second.
// Extension and ring-group numbers share one number space per tenant: triggers refuse a number
// the other table holds, whichever process writes. Destinations name a kind and a target text
// (a local number, a voicemail box, an external number); a target that is later removed is
// skipped by the dial plan rather than cascaded, so removing an extension never silently edits
// other people's forwarding.
constexpr std::string_view kSchemaV5 = R"sql(
ALTER TABLE extensions ADD COLUMN dnd INTEGER NOT NULL DEFAULT 0 CHECK (dnd IN (0, 1));

CREATE TABLE call_forwards (
  tenant_id         INTEGER NOT NULL,
  extension         TEXT    NOT NULL,
  condition         TEXT    NOT NULL
    CHECK (condition IN ('always', 'busy', 'no_answer', 'unregistered')),
  target_kind       TEXT    NOT NULL
    CHECK (target_kind IN ('extension', 'ring_group', 'voicemail', 'external')),
  target            TEXT    NOT NULL,
  no_answer_seconds INTEGER NOT NULL DEFAULT 20 CHECK (no_answer_seconds BETWEEN 1 AND 600),
  PRIMARY KEY (tenant_id, extension, condition),
  FOREIGN KEY (tenant_id, extension) REFERENCES extensions (tenant_id, number) ON DELETE CASCADE
) STRICT;

CREATE TABLE ring_groups (
  id                     INTEGER PRIMARY KEY,
  tenant_id              INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  number                 TEXT    NOT NULL,
  name                   TEXT    NOT NULL DEFAULT '',
  strategy               TEXT    NOT NULL CHECK (strategy IN ('ring_all', 'hunt')),
  member_timeout_seconds INTEGER NOT NULL CHECK (member_timeout_seconds BETWEEN 1 AND 600),
  final_kind             TEXT    NOT NULL
    CHECK (final_kind IN ('extension', 'ring_group', 'voicemail', 'external', 'hangup')),
  final_target           TEXT    NOT NULL DEFAULT '',
  created_at             INTEGER NOT NULL,
  UNIQUE (tenant_id, number)
) STRICT;

CREATE TABLE ring_group_members (
  ring_group_id INTEGER NOT NULL REFERENCES ring_groups (id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  tenant_id     INTEGER NOT NULL,
  extension     TEXT    NOT NULL,
  PRIMARY KEY (ring_group_id, position),
  UNIQUE (ring_group_id, extension),
  FOREIGN KEY (tenant_id, extension) REFERENCES extensions (tenant_id, number) ON DELETE CASCADE
) STRICT;
CREATE INDEX ring_group_members_by_extension ON ring_group_members (tenant_id, extension);

CREATE TRIGGER extensions_number_free BEFORE INSERT ON extensions
  WHEN EXISTS (SELECT 1 FROM ring_groups WHERE tenant_id = NEW.tenant_id AND number = NEW.number)
  BEGIN SELECT RAISE(ABORT, 'the number is taken by a ring group of this tenant'); END;
CREATE TRIGGER ring_groups_number_free BEFORE INSERT ON ring_groups
  WHEN EXISTS (SELECT 1 FROM extensions WHERE tenant_id = NEW.tenant_id AND number = NEW.number)
  BEGIN SELECT RAISE(ABORT, 'the number is taken by an extension of this tenant'); END;

CREATE TRIGGER call_forwards_inserted AFTER INSERT ON call_forwards
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER call_forwards_updated AFTER UPDATE ON call_forwards
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER call_forwards_deleted AFTER DELETE ON call_forwards
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER ring_groups_inserted AFTER INSERT ON ring_groups
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER ring_groups_updated AFTER UPDATE ON ring_groups
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER ring_groups_deleted AFTER DELETE ON ring_groups
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER ring_group_members_inserted AFTER INSERT ON ring_group_members
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER ring_group_members_deleted AFTER DELETE ON ring_group_members
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
)sql";

// Version 6: SIP trunks (provider accounts), DIDs, outbound routes and the toll-fraud limits.
// DIDs and route trunk lists name a trunk of the same tenant by name: renaming a trunk follows
// along, removing one still named fails (the store says which route or DID names it). An
// extension's call classes are a bit mask in its row (internal 1, national 2, mobile 4,
// international 8, premium 16; default internal+national+mobile), so a change moves the change
// counter through the extensions triggers; every new table moves it too, because a running
// server routes calls by them.
constexpr std::string_view kSchemaV6 = R"sql(
ALTER TABLE extensions ADD COLUMN call_classes INTEGER NOT NULL DEFAULT 7
  CHECK (call_classes BETWEEN 0 AND 31);

CREATE TABLE trunks (
  id                INTEGER PRIMARY KEY,
  tenant_id         INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name              TEXT    NOT NULL,
  host              TEXT    NOT NULL,
  port              INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
  transport         TEXT    NOT NULL CHECK (transport IN ('UDP', 'TCP', 'TLS')),
  registers         INTEGER NOT NULL CHECK (registers IN (0, 1)),
  username          TEXT    NOT NULL DEFAULT '',
  password          TEXT    NOT NULL DEFAULT '',
  auth_realm        TEXT    NOT NULL DEFAULT '',
  register_expires  INTEGER NOT NULL CHECK (register_expires > 0),
  codecs            TEXT    NOT NULL DEFAULT '',
  caller_id         TEXT    NOT NULL DEFAULT '',
  max_calls         INTEGER NOT NULL CHECK (max_calls >= 0),
  options_keepalive INTEGER NOT NULL CHECK (options_keepalive IN (0, 1)),
  enabled           INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  UNIQUE (tenant_id, name)
) STRICT;

CREATE TABLE dids (
  id               INTEGER PRIMARY KEY,
  tenant_id        INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  number           TEXT    NOT NULL,
  trunk_name       TEXT,  -- NULL: calls from any trunk of the tenant
  destination_kind TEXT    NOT NULL
    CHECK (destination_kind IN ('extension', 'ringgroup', 'ivr', 'queue', 'voicemail')),
  destination      TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  FOREIGN KEY (tenant_id, trunk_name) REFERENCES trunks (tenant_id, name) ON UPDATE CASCADE
) STRICT;
CREATE UNIQUE INDEX dids_unique ON dids (tenant_id, number, coalesce(trunk_name, ''));
CREATE INDEX dids_by_trunk ON dids (tenant_id, trunk_name);

CREATE TABLE outbound_routes (
  id           INTEGER PRIMARY KEY,
  tenant_id    INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name         TEXT    NOT NULL,
  priority     INTEGER NOT NULL CHECK (priority >= 0),
  pattern_kind TEXT    NOT NULL CHECK (pattern_kind IN ('prefix', 'length', 'regex')),
  pattern      TEXT    NOT NULL,
  strip_digits INTEGER NOT NULL CHECK (strip_digits >= 0),
  prepend      TEXT    NOT NULL DEFAULT '',
  caller_id    TEXT    NOT NULL DEFAULT '',
  emergency    INTEGER NOT NULL CHECK (emergency IN (0, 1)),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  UNIQUE (tenant_id, name)
) STRICT;

CREATE TABLE outbound_route_trunks (
  route_id   INTEGER NOT NULL REFERENCES outbound_routes (id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  tenant_id  INTEGER NOT NULL,
  trunk_name TEXT    NOT NULL,
  PRIMARY KEY (route_id, position),
  UNIQUE (route_id, trunk_name),
  FOREIGN KEY (tenant_id, trunk_name) REFERENCES trunks (tenant_id, name) ON UPDATE CASCADE
) STRICT;
CREATE INDEX outbound_route_trunks_by_trunk ON outbound_route_trunks (tenant_id, trunk_name);

-- Lists are comma-separated digit strings; NULL access prefixes mean "derived from the country".
CREATE TABLE tenant_call_limits (
  tenant_id            INTEGER PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  max_external_calls   INTEGER NOT NULL CHECK (max_external_calls >= 0),
  calls_per_hour       INTEGER NOT NULL CHECK (calls_per_hour >= 0),
  minutes_per_hour     INTEGER NOT NULL CHECK (minutes_per_hour >= 0),
  country_code         TEXT    NOT NULL DEFAULT '',
  international_prefix TEXT,
  national_prefix      TEXT,
  blocked_prefixes     TEXT    NOT NULL DEFAULT '',
  emergency_numbers    TEXT    NOT NULL DEFAULT '',
  mobile_prefixes      TEXT    NOT NULL DEFAULT '',
  premium_prefixes     TEXT    NOT NULL DEFAULT '',
  updated_at           INTEGER NOT NULL
) STRICT;

CREATE TRIGGER trunks_inserted AFTER INSERT ON trunks
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER trunks_updated AFTER UPDATE ON trunks
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER trunks_deleted AFTER DELETE ON trunks
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER dids_inserted AFTER INSERT ON dids
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER dids_updated AFTER UPDATE ON dids
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER dids_deleted AFTER DELETE ON dids
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER outbound_routes_inserted AFTER INSERT ON outbound_routes
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER outbound_routes_updated AFTER UPDATE ON outbound_routes
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER outbound_routes_deleted AFTER DELETE ON outbound_routes
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER outbound_route_trunks_inserted AFTER INSERT ON outbound_route_trunks
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER outbound_route_trunks_updated AFTER UPDATE ON outbound_route_trunks
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER outbound_route_trunks_deleted AFTER DELETE ON outbound_route_trunks
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER tenant_call_limits_inserted AFTER INSERT ON tenant_call_limits
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER tenant_call_limits_updated AFTER UPDATE ON tenant_call_limits
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER tenant_call_limits_deleted AFTER DELETE ON tenant_call_limits
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
)sql";

// Version 7: team chat. Members belong to an extension of the conversation's tenant and go with
// it; messages keep the sender as text so history outlives the extension. A direct
// conversation's `direct_key` ("lower:higher" number) makes opening it idempotent. Search uses
// an FTS5 index kept in step by triggers (external content: the text lives once, in
// chat_messages). None of these tables moves the change counter.
constexpr std::string_view kSchemaV7 = R"sql(
CREATE TABLE chat_conversations (
  id         INTEGER PRIMARY KEY,
  tenant_id  INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kind       TEXT    NOT NULL CHECK (kind IN ('direct', 'channel')),
  name       TEXT    NOT NULL DEFAULT '',
  direct_key TEXT,
  created_at INTEGER NOT NULL,
  CHECK ((kind = 'direct') = (direct_key IS NOT NULL)),
  CHECK ((kind = 'channel') = (name <> ''))
) STRICT;
CREATE UNIQUE INDEX chat_channels_by_name ON chat_conversations (tenant_id, name)
  WHERE kind = 'channel';
CREATE UNIQUE INDEX chat_directs_by_pair ON chat_conversations (tenant_id, direct_key)
  WHERE kind = 'direct';

CREATE TABLE chat_members (
  conversation_id INTEGER NOT NULL REFERENCES chat_conversations (id) ON DELETE CASCADE,
  tenant_id       INTEGER NOT NULL,
  extension       TEXT    NOT NULL,
  role            TEXT    NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'owner')),
  last_read       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (conversation_id, extension),
  FOREIGN KEY (tenant_id, extension) REFERENCES extensions (tenant_id, number) ON DELETE CASCADE
) STRICT;
CREATE INDEX chat_members_by_extension ON chat_members (tenant_id, extension);

CREATE TABLE chat_messages (
  id              INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES chat_conversations (id) ON DELETE CASCADE,
  sender          TEXT    NOT NULL,
  body            TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  edited_at       INTEGER,
  deleted         INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))
) STRICT;
-- History pages and unread counts walk one conversation by id, newest first.
CREATE INDEX chat_messages_history ON chat_messages (conversation_id, id DESC);

CREATE TABLE chat_attachments (
  id            INTEGER PRIMARY KEY,
  message_id    INTEGER NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
  path          TEXT    NOT NULL,
  content_type  TEXT    NOT NULL,
  size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
  original_name TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX chat_attachments_by_message ON chat_attachments (message_id);

CREATE VIRTUAL TABLE chat_messages_fts USING fts5 (
  body, content = 'chat_messages', content_rowid = 'id');
CREATE TRIGGER chat_messages_fts_inserted AFTER INSERT ON chat_messages BEGIN
  INSERT INTO chat_messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER chat_messages_fts_deleted AFTER DELETE ON chat_messages BEGIN
  INSERT INTO chat_messages_fts (chat_messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER chat_messages_fts_updated AFTER UPDATE OF body ON chat_messages BEGIN
  INSERT INTO chat_messages_fts (chat_messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
  INSERT INTO chat_messages_fts (rowid, body) VALUES (new.id, new.body);
END;
)sql";

// Version 8: conference rooms. A room's number lives in the tenant's one number space with
// extensions and ring groups: triggers refuse a number another table holds, in every direction,
// whichever process writes. The PIN is kept as digits, not hashed (decision 0020: a 4-8 digit
// secret is brute-forced from any hash in moments, and the server compares it in memory). Every
// change moves the change counter: a running server routes calls to rooms.
constexpr std::string_view kSchemaV8 = R"sql(
CREATE TABLE conference_rooms (
  id               INTEGER PRIMARY KEY,
  tenant_id        INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  number           TEXT    NOT NULL,
  name             TEXT    NOT NULL DEFAULT '',
  pin              TEXT    NOT NULL DEFAULT ''
    CHECK (pin = '' OR (length(pin) BETWEEN 4 AND 8 AND pin NOT GLOB '*[^0-9]*')),
  max_participants INTEGER NOT NULL CHECK (max_participants BETWEEN 2 AND 128),
  created_at       INTEGER NOT NULL,
  UNIQUE (tenant_id, number)
) STRICT;

CREATE TRIGGER conference_rooms_number_free BEFORE INSERT ON conference_rooms
  WHEN EXISTS (SELECT 1 FROM extensions WHERE tenant_id = NEW.tenant_id AND number = NEW.number)
    OR EXISTS (SELECT 1 FROM ring_groups WHERE tenant_id = NEW.tenant_id AND number = NEW.number)
  BEGIN SELECT RAISE(ABORT, 'the number is taken by an extension or ring group of this tenant'); END;
CREATE TRIGGER extensions_number_not_room BEFORE INSERT ON extensions
  WHEN EXISTS (SELECT 1 FROM conference_rooms
               WHERE tenant_id = NEW.tenant_id AND number = NEW.number)
  BEGIN SELECT RAISE(ABORT, 'the number is taken by a conference room of this tenant'); END;
CREATE TRIGGER ring_groups_number_not_room BEFORE INSERT ON ring_groups
  WHEN EXISTS (SELECT 1 FROM conference_rooms
               WHERE tenant_id = NEW.tenant_id AND number = NEW.number)
  BEGIN SELECT RAISE(ABORT, 'the number is taken by a conference room of this tenant'); END;

CREATE TRIGGER conference_rooms_inserted AFTER INSERT ON conference_rooms
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER conference_rooms_updated AFTER UPDATE ON conference_rooms
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER conference_rooms_deleted AFTER DELETE ON conference_rooms
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
)sql";

// Version 9: voicemail (issue 7, decision 0021). Messages are indexed only once their WAV file
// is complete and fsynced; the path is unique so that re-indexing after a crash finds the row.
// Per-box settings (enabled; PIN and greeting later) are rows only where they differ from the
// defaults. Both tables move the change counter: the dial plan reads the settings and the
// message-waiting notifier the counts, also after a CLI change.
constexpr std::string_view kSchemaV9 = R"sql(
CREATE TABLE voicemail_settings (
  tenant_id INTEGER NOT NULL,
  extension TEXT    NOT NULL,
  enabled   INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  PRIMARY KEY (tenant_id, extension),
  FOREIGN KEY (tenant_id, extension) REFERENCES extensions (tenant_id, number) ON DELETE CASCADE
) STRICT;

CREATE TABLE voicemail_messages (
  id          INTEGER PRIMARY KEY,
  tenant_id   INTEGER NOT NULL,
  box         TEXT    NOT NULL,
  caller      TEXT    NOT NULL,
  received_at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
  size_bytes  INTEGER NOT NULL CHECK (size_bytes >= 0),
  path        TEXT    NOT NULL UNIQUE,
  state       TEXT    NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'saved')),
  FOREIGN KEY (tenant_id, box) REFERENCES extensions (tenant_id, number) ON DELETE CASCADE
) STRICT;
CREATE INDEX voicemail_messages_by_box
  ON voicemail_messages (tenant_id, box, received_at DESC, id DESC);

CREATE TRIGGER voicemail_settings_inserted AFTER INSERT ON voicemail_settings
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER voicemail_settings_updated AFTER UPDATE ON voicemail_settings
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER voicemail_settings_deleted AFTER DELETE ON voicemail_settings
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER voicemail_messages_inserted AFTER INSERT ON voicemail_messages
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER voicemail_messages_updated AFTER UPDATE ON voicemail_messages
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER voicemail_messages_deleted AFTER DELETE ON voicemail_messages
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
)sql";

// Version 10: call-record search by extension (AdminStore::search_call_records). Each side of
// `caller = ? OR callee = ?` gets an index in the order pages are read, so that a page of one
// extension's calls is two short index seeks instead of a walk through the tenant's calls
// (bench/api, docs/performance.md). Building them reads call_records once, at the upgrade.
constexpr std::string_view kSchemaV10 = R"sql(
CREATE INDEX call_records_by_caller ON call_records (tenant_id, caller, start_ms DESC, id DESC);
CREATE INDEX call_records_by_callee ON call_records (tenant_id, callee, start_ms DESC, id DESC);
)sql";

// Version 11: IVR menus with their digit options, and time schedules (issue 7, decision 0022).
// Menus and schedules share one name space per tenant (a DID of kind "ivr" names either); their
// numbers share the tenant's number space, checked by the store on save. Hours and holidays are
// kept as the text the admin wrote (store/schedule_rules.hpp parses it). Every change moves the
// change counter: a running server reloads them.
constexpr std::string_view kSchemaV11 = R"sql(
CREATE TABLE ivr_menus (
  tenant_id       INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name            TEXT    NOT NULL,
  number          TEXT    NOT NULL DEFAULT '',
  greeting_text   TEXT    NOT NULL DEFAULT '',
  greeting_wav    TEXT    NOT NULL DEFAULT '',
  timeout_seconds INTEGER NOT NULL CHECK (timeout_seconds BETWEEN 1 AND 60),
  max_attempts    INTEGER NOT NULL CHECK (max_attempts BETWEEN 1 AND 10),
  fallback        TEXT    NOT NULL,
  direct_dial     INTEGER NOT NULL DEFAULT 0 CHECK (direct_dial IN (0, 1)),
  PRIMARY KEY (tenant_id, name)
) STRICT;

CREATE TABLE ivr_options (
  tenant_id   INTEGER NOT NULL,
  menu        TEXT    NOT NULL,
  digit       TEXT    NOT NULL CHECK (length(digit) = 1 AND digit GLOB '[0-9*#]'),
  destination TEXT    NOT NULL,
  PRIMARY KEY (tenant_id, menu, digit),
  FOREIGN KEY (tenant_id, menu) REFERENCES ivr_menus (tenant_id, name) ON DELETE CASCADE
) STRICT;

CREATE TABLE schedules (
  tenant_id          INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name               TEXT    NOT NULL,
  number             TEXT    NOT NULL DEFAULT '',
  time_zone          TEXT    NOT NULL DEFAULT '',
  hours              TEXT    NOT NULL DEFAULT '',
  holidays           TEXT    NOT NULL DEFAULT '',
  open_destination   TEXT    NOT NULL,
  closed_destination TEXT    NOT NULL,
  PRIMARY KEY (tenant_id, name)
) STRICT;

CREATE TRIGGER ivr_menus_inserted AFTER INSERT ON ivr_menus
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER ivr_menus_updated AFTER UPDATE ON ivr_menus
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER ivr_menus_deleted AFTER DELETE ON ivr_menus
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER ivr_options_inserted AFTER INSERT ON ivr_options
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER ivr_options_updated AFTER UPDATE ON ivr_options
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER ivr_options_deleted AFTER DELETE ON ivr_options
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER schedules_inserted AFTER INSERT ON schedules
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER schedules_updated AFTER UPDATE ON schedules
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER schedules_deleted AFTER DELETE ON schedules
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
)sql";

// Version 12: call queues (issue 7, decision 0023). A queue's number shares the tenant's one
// number space with extensions, ring groups and conference rooms (triggers both ways, as for
// rooms). Members are extensions in list order (round-robin follows it); removing an extension
// drops it from every queue. `fallback` is where a caller goes after the maximum wait or when
// the queue is full: '' hangs up, 'voicemail:<box>' leaves a message, anything else is a number
// of the tenant dialled again. Every change moves the change counter: a running server reloads
// its queues within a second.
constexpr std::string_view kSchemaV12 = R"sql(
CREATE TABLE call_queues (
  id             INTEGER PRIMARY KEY,
  tenant_id      INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  number         TEXT    NOT NULL,
  name           TEXT    NOT NULL DEFAULT '',
  strategy       TEXT    NOT NULL DEFAULT 'ring-all'
    CHECK (strategy IN ('ring-all', 'round-robin', 'longest-idle')),
  ring_timeout_s INTEGER NOT NULL DEFAULT 15 CHECK (ring_timeout_s BETWEEN 5 AND 300),
  wrap_up_s      INTEGER NOT NULL DEFAULT 0 CHECK (wrap_up_s BETWEEN 0 AND 600),
  max_wait_s     INTEGER NOT NULL DEFAULT 300 CHECK (max_wait_s BETWEEN 0 AND 86400),
  max_callers    INTEGER NOT NULL DEFAULT 20 CHECK (max_callers BETWEEN 0 AND 10000),
  fallback       TEXT    NOT NULL DEFAULT '',
  created_at     INTEGER NOT NULL,
  UNIQUE (tenant_id, number)
) STRICT;

CREATE TABLE call_queue_members (
  queue_id  INTEGER NOT NULL REFERENCES call_queues (id) ON DELETE CASCADE,
  position  INTEGER NOT NULL,
  tenant_id INTEGER NOT NULL,
  extension TEXT    NOT NULL,
  PRIMARY KEY (queue_id, position),
  UNIQUE (queue_id, extension),
  FOREIGN KEY (tenant_id, extension) REFERENCES extensions (tenant_id, number) ON DELETE CASCADE
) STRICT;
CREATE INDEX call_queue_members_by_extension ON call_queue_members (tenant_id, extension);

CREATE TRIGGER call_queues_number_free BEFORE INSERT ON call_queues
  WHEN EXISTS (SELECT 1 FROM extensions WHERE tenant_id = NEW.tenant_id AND number = NEW.number)
    OR EXISTS (SELECT 1 FROM ring_groups WHERE tenant_id = NEW.tenant_id AND number = NEW.number)
    OR EXISTS (SELECT 1 FROM conference_rooms
               WHERE tenant_id = NEW.tenant_id AND number = NEW.number)
  BEGIN SELECT RAISE(ABORT, 'the number is taken by an extension, ring group or room of this tenant'); END;
CREATE TRIGGER extensions_number_not_queue BEFORE INSERT ON extensions
  WHEN EXISTS (SELECT 1 FROM call_queues WHERE tenant_id = NEW.tenant_id AND number = NEW.number)
  BEGIN SELECT RAISE(ABORT, 'the number is taken by a call queue of this tenant'); END;
CREATE TRIGGER ring_groups_number_not_queue BEFORE INSERT ON ring_groups
  WHEN EXISTS (SELECT 1 FROM call_queues WHERE tenant_id = NEW.tenant_id AND number = NEW.number)
  BEGIN SELECT RAISE(ABORT, 'the number is taken by a call queue of this tenant'); END;
CREATE TRIGGER conference_rooms_number_not_queue BEFORE INSERT ON conference_rooms
  WHEN EXISTS (SELECT 1 FROM call_queues WHERE tenant_id = NEW.tenant_id AND number = NEW.number)
  BEGIN SELECT RAISE(ABORT, 'the number is taken by a call queue of this tenant'); END;

CREATE TRIGGER call_queues_inserted AFTER INSERT ON call_queues
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER call_queues_updated AFTER UPDATE ON call_queues
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER call_queues_deleted AFTER DELETE ON call_queues
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER call_queue_members_inserted AFTER INSERT ON call_queue_members
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER call_queue_members_deleted AFTER DELETE ON call_queue_members
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
)sql";

// Version 13: the voicemail menu (issue 7, decision 0029). A box's PIN (argon2id hash only),
// its recorded greeting and its message limit; NULL means the default (no PIN, the beep, 100).
constexpr std::string_view kSchemaV13 = R"sql(
ALTER TABLE voicemail_settings ADD COLUMN pin_hash TEXT
  CHECK (pin_hash IS NULL OR (pin_hash LIKE '$argon2%' AND length(pin_hash) <= 256));
ALTER TABLE voicemail_settings ADD COLUMN greeting_path TEXT
  CHECK (greeting_path IS NULL OR length(greeting_path) BETWEEN 1 AND 8192);
ALTER TABLE voicemail_settings ADD COLUMN max_messages INTEGER
  CHECK (max_messages IS NULL OR max_messages BETWEEN 1 AND 10000);
)sql";

// Version 14: call queue position announcements (issue 7, decision 0023): a waiting caller hears
// "You are caller number N" on entering and again after announce_s seconds of music; 0 = never.
constexpr std::string_view kSchemaV14 = R"sql(
ALTER TABLE call_queues ADD COLUMN announce_s INTEGER NOT NULL DEFAULT 30
  CHECK (announce_s BETWEEN 0 AND 3600);
)sql";

// Version 15: conference moderators and voicemail to e-mail (issue 7, decision 0034). A room's
// moderator PIN (empty: no moderator) and the address a box's new messages are mailed to
// (NULL: none). The moderator PIN follows the room PIN's rules and differs from it.
constexpr std::string_view kSchemaV15 = R"sql(
ALTER TABLE conference_rooms ADD COLUMN moderator_pin TEXT NOT NULL DEFAULT ''
  CHECK (moderator_pin = '' OR (length(moderator_pin) BETWEEN 4 AND 8
         AND moderator_pin NOT GLOB '*[^0-9]*' AND moderator_pin <> pin));
ALTER TABLE voicemail_settings ADD COLUMN email TEXT
  CHECK (email IS NULL OR length(email) BETWEEN 3 AND 254);
)sql";

// Version 16: pickup groups (issue 6, decision 0031). Members follow their extension (ON DELETE
// CASCADE).
constexpr std::string_view kSchemaV16 = R"sql(
CREATE TABLE pickup_groups (
  id        INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name      TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 32 AND name NOT GLOB '*[^a-z0-9_-]*'),
  UNIQUE (tenant_id, name)
) STRICT;
CREATE TABLE pickup_group_members (
  group_id  INTEGER NOT NULL REFERENCES pickup_groups (id) ON DELETE CASCADE,
  tenant_id INTEGER NOT NULL,
  extension TEXT    NOT NULL,
  PRIMARY KEY (group_id, extension),
  FOREIGN KEY (tenant_id, extension) REFERENCES extensions (tenant_id, number) ON DELETE CASCADE
) STRICT;
CREATE INDEX pickup_group_members_by_extension ON pickup_group_members (tenant_id, extension);

CREATE TRIGGER pickup_groups_inserted AFTER INSERT ON pickup_groups
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER pickup_groups_deleted AFTER DELETE ON pickup_groups
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER pickup_group_members_inserted AFTER INSERT ON pickup_group_members
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER pickup_group_members_deleted AFTER DELETE ON pickup_group_members
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
)sql";

// Version 17: devices (issue 9, decision 0038): the phones an admin assigns to extensions,
// recognised among the live registrations by MAC address or +sip.instance URN. Inventory only:
// nothing a running server routes on, so no change-counter triggers.
constexpr std::string_view kSchemaV17 = R"sql(
CREATE TABLE devices (
  id         INTEGER PRIMARY KEY,
  tenant_id  INTEGER NOT NULL,
  extension  TEXT    NOT NULL,
  label      TEXT    NOT NULL CHECK (length(label) BETWEEN 1 AND 64),
  mac        TEXT    NOT NULL CHECK (mac = '' OR (length(mac) = 12 AND mac NOT GLOB '*[^0-9a-f]*')),
  instance   TEXT    NOT NULL CHECK (instance = '' OR (instance LIKE 'urn:%' AND length(instance) <= 128)),
  model      TEXT    NOT NULL CHECK (length(model) <= 64),
  created_at INTEGER NOT NULL,
  CHECK (mac <> '' OR instance <> ''),
  FOREIGN KEY (tenant_id, extension) REFERENCES extensions (tenant_id, number) ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX devices_by_mac ON devices (tenant_id, mac) WHERE mac <> '';
CREATE UNIQUE INDEX devices_by_instance ON devices (tenant_id, instance) WHERE instance <> '';
CREATE INDEX devices_by_extension ON devices (tenant_id, extension);
)sql";

// Version 18: the voicemail e-mail outbox (issue 7, decision 0040). A mail is queued in the same
// transaction as its message's row and removed when sent or given up; it goes with its message.
// No change-counter triggers: mail progress is not configuration.
constexpr std::string_view kSchemaV18 = R"sql(
CREATE TABLE voicemail_mail_outbox (
  message_id   INTEGER PRIMARY KEY REFERENCES voicemail_messages (id) ON DELETE CASCADE,
  recipient    TEXT    NOT NULL CHECK (length(recipient) BETWEEN 3 AND 254),
  attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt INTEGER NOT NULL
) STRICT;
)sql";

// Version 19: mutual TLS for trunks (issue 11, decision 0048): the trunks that require the
// provider to show a client certificate, the CA file it must lead to and a name it must carry.
// Removed with its trunk; every change moves the change counter (the trunk service reloads).
constexpr std::string_view kSchemaV19 = R"sql(
CREATE TABLE trunk_client_tls (
  trunk_id      INTEGER PRIMARY KEY REFERENCES trunks (id) ON DELETE CASCADE,
  ca_file       TEXT    NOT NULL CHECK (ca_file <> ''),
  expected_name TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE TRIGGER trunk_client_tls_inserted AFTER INSERT ON trunk_client_tls
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER trunk_client_tls_updated AFTER UPDATE ON trunk_client_tls
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER trunk_client_tls_deleted AFTER DELETE ON trunk_client_tls
  BEGIN UPDATE change_counter SET value = value + 1 WHERE id = 1; END;
)sql";

// Version 20: per-trunk caller-ID passthrough (issue 6, decision 0047): whether an outside
// caller forwarded out through the trunk keeps its own number in From. Off by default: the
// trunk's own number is the one every provider accepts. trunks_updated counts the change.
constexpr std::string_view kSchemaV20 = R"sql(
ALTER TABLE trunks ADD COLUMN caller_id_passthrough INTEGER NOT NULL DEFAULT 0
  CHECK (caller_id_passthrough IN (0, 1));
)sql";

// Version 21: the call-record writer's INSERT without temporary tables. SQLite 3.40 checks a
// constraint `x IN ('a', 'b', ...)` by building an ephemeral B-tree of the list on every
// execution, which was most of the ~115,000 instructions per record (docs/performance.md, calls;
// decision 0056). The same rules written as `=` ... `OR` are checked by comparisons alone. SQLite
// cannot change a CHECK in place, so the table is rebuilt (its rows copied once, at the upgrade)
// with the columns, keys and indexes it had. Nothing references call_records, and it has no
// triggers.
constexpr std::string_view kSchemaV21 = R"sql(
CREATE TABLE call_records_v21 (
  id          INTEGER PRIMARY KEY,
  tenant_id   INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  call_id     TEXT    NOT NULL,
  caller      TEXT    NOT NULL,
  callee      TEXT    NOT NULL,
  start_ms    INTEGER NOT NULL,
  answer_ms   INTEGER,
  end_ms      INTEGER NOT NULL,
  disposition TEXT    NOT NULL
    CHECK (disposition = 'answered' OR disposition = 'busy' OR disposition = 'no_answer' OR
           disposition = 'cancelled' OR disposition = 'failed'),
  hangup_side TEXT    NOT NULL
    CHECK (hangup_side = 'caller' OR hangup_side = 'callee' OR hangup_side = 'system'),
  end_reason  TEXT    NOT NULL DEFAULT 'normal'
    CHECK (end_reason = 'normal' OR end_reason = 'media_timeout' OR end_reason = 'shutdown')
) STRICT;
INSERT INTO call_records_v21 (id, tenant_id, call_id, caller, callee, start_ms, answer_ms, end_ms,
                              disposition, hangup_side, end_reason)
  SELECT id, tenant_id, call_id, caller, callee, start_ms, answer_ms, end_ms, disposition,
         hangup_side, end_reason FROM call_records;
DROP TABLE call_records;
ALTER TABLE call_records_v21 RENAME TO call_records;
CREATE INDEX call_records_recent ON call_records (tenant_id, start_ms DESC, id DESC);
CREATE INDEX call_records_by_caller ON call_records (tenant_id, caller, start_ms DESC, id DESC);
CREATE INDEX call_records_by_callee ON call_records (tenant_id, callee, start_ms DESC, id DESC);
)sql";

// In version order; the size follows the list.
constexpr auto kMigrations = std::to_array<Migration>({
    {1, "tenants, extensions, bindings, call records", kSchemaV1},
    {2, "call end reason", kSchemaV2},
    {3, "admin accounts, web sessions, API tokens", kSchemaV3},
    {4, "call recording policy and recordings", kSchemaV4},
    {5, "forwarding, do-not-disturb, ring groups", kSchemaV5},
    {6, "trunks, DIDs, outbound routes, toll-fraud limits", kSchemaV6},
    {7, "chat", kSchemaV7},
    {8, "conference rooms", kSchemaV8},
    {9, "voicemail", kSchemaV9},
    {10, "call record indexes by extension", kSchemaV10},
    {11, "IVR menus and schedules", kSchemaV11},
    {12, "call queues", kSchemaV12},
    {13, "voicemail menu: PIN, greeting, message limit", kSchemaV13},
    {14, "call queue position announcements", kSchemaV14},
    {15, "conference moderator PIN, voicemail e-mail", kSchemaV15},
    {16, "pickup groups", kSchemaV16},
    {17, "devices", kSchemaV17},
    {18, "voicemail e-mail outbox", kSchemaV18},
    {19, "trunk client certificates", kSchemaV19},
    {20, "trunk caller-ID passthrough", kSchemaV20},
    {21, "call records checked without temporary tables", kSchemaV21},
});

constexpr bool versions_follow_each_other() {
  for (std::size_t i = 0; i < kMigrations.size(); ++i) {
    if (kMigrations[i].version != static_cast<int>(i) + 1) return false;
  }
  return true;
}
static_assert(versions_follow_each_other(), "migrations are numbered 1, 2, 3 ... without gaps");

static_assert(kApplicationId == 1347570777, "kSchemaV1 spells the application id in decimal");

std::string hex(std::int64_t value) {
  std::array<char, 24> text{};
  std::snprintf(text.data(), text.size(), "0x%llx", static_cast<unsigned long long>(value));
  return text.data();
}

// Refuses files that are SQLite databases but not ours, before anything is written to them.
Result<void> check_ownership(Connection& connection, const std::string& path) {
  auto id_query = connection.prepare("PRAGMA application_id");
  if (!id_query) return id_query.error();
  auto id_row = id_query->step();
  if (!id_row) return in_context("reading " + path, id_row.error());
  const std::int64_t id = *id_row ? id_query->column_int(0) : 0;
  if (id == kApplicationId) return {};
  if (id != 0) {
    return make_store_error(StoreError::kBackend,
                            path + " is not a Parley database (its application id is " + hex(id) +
                                "); refusing to touch it");
  }
  auto tables = connection.prepare(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name <> 'schema_migrations'");
  if (!tables) return tables.error();
  auto count = tables->step();
  if (!count) return in_context("reading " + path, count.error());
  if (*count && tables->column_int(0) > 0) {
    return make_store_error(StoreError::kBackend,
                            path + " holds tables but no Parley schema; refusing to touch it");
  }
  return {};
}

Result<int> current_version(Connection& connection) {
  auto query = connection.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!query) return query.error();
  auto row = query->step();
  if (!row) return row.error();
  return *row ? static_cast<int>(query->column_int(0)) : 0;
}

}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

int latest_schema_version() {
  return kMigrations.back().version;
}

Result<int> migrate(Connection& connection, const std::string& path, UnixSeconds now) {
  {
    auto transaction = WriteTransaction::begin(connection, Durability::kPowerLoss);
    if (!transaction) return in_context("opening " + path, transaction.error());
    auto owned = check_ownership(connection, path);
    if (!owned) return owned.error();
    auto created = connection.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT");
    if (!created) return in_context("creating schema_migrations in " + path, created.error());
    auto committed = transaction->commit();
    if (!committed) return committed.error();
  }
  // One transaction per migration, each re-reading the version: two processes opening the same
  // new folder at once serialise on the write lock and the second finds the work done.
  while (true) {
    auto transaction = WriteTransaction::begin(connection, Durability::kPowerLoss);
    if (!transaction) return in_context("migrating " + path, transaction.error());
    auto version = current_version(connection);
    if (!version) return in_context("reading the schema version of " + path, version.error());
    if (*version > latest_schema_version()) {
      return make_store_error(
          StoreError::kSchemaTooNew,
          path + " has schema version " + std::to_string(*version) + ", newer than the version " +
              std::to_string(latest_schema_version()) +
              " this Parley knows: it was written by a newer Parley. Run that version or "
              "restore a backup; refusing to open it");
    }
    const Migration* next = nullptr;
    for (const auto& migration : kMigrations) {
      if (migration.version > *version) {
        next = &migration;
        break;
      }
    }
    if (next == nullptr) return *version;  // up to date; the transaction rolls back (no writes)

    const std::string what = "applying migration " + std::to_string(next->version) + " (" +
                             std::string(next->name) + ") to " + path;
    auto applied = connection.exec(next->sql);
    if (!applied) return in_context(what, applied.error());
    auto record = connection.prepare(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
    if (!record) return in_context(what, record.error());
    record->bind(1, next->version).bind(2, next->name).bind(3, now);
    auto recorded = record->run();
    if (!recorded) return in_context(what, recorded.error());
    auto committed = transaction->commit();
    if (!committed) return in_context(what, committed.error());
  }
}

}  // namespace parley::store::sqlite
