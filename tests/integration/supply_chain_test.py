#!/usr/bin/env python3
"""Supply chain: `parley release keygen|manifest|sign`, `parley verify` and `parley sbom`.

Builds a small installation tree around a copy of the real binary, signs its manifest, and checks
that `parley verify` passes the untouched tree and names each changed, added or missing file;
that a changed manifest or another key fails the signature; that the SBOM validates against the
CycloneDX 1.5 JSON schema kept in tests/data/cyclonedx and lists the Debian packages installed on
this machine and the npm packages of the fixture lock file; and that the binary imports no
dlopen (docs/security.md: no plugin loading).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

from parley_harness import report, run_main

SCHEMA_BASE = "http://cyclonedx.org/schema/"
SCHEMAS = ("bom-1.5.SNAPSHOT.schema.json", "spdx.SNAPSHOT.schema.json",
           "jsf-0.82.SNAPSHOT.schema.json")


def import_jsonschema():
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        # Debian's python3-jsonschema (scripts/install-deps.sh) when python3 is not Debian's.
        sys.path.append("/usr/lib/python3/dist-packages")
    import jsonschema
    return jsonschema


def sbom_validator(schema_dir: str):
    jsonschema = import_jsonschema()
    documents = {}
    for name in SCHEMAS:
        with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
            documents[name] = json.load(f)
    bom_schema = documents[SCHEMAS[0]]
    checker = jsonschema.FormatChecker()
    try:  # jsonschema >= 4.18
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT7
        resources = []
        for name, document in documents.items():
            resource = Resource(contents=document, specification=DRAFT7)
            resources.append((SCHEMA_BASE + name, resource))
            resources.append((document["$id"], resource))
        registry = Registry().with_resources(resources)
        return jsonschema.Draft7Validator(bom_schema, registry=registry, format_checker=checker)
    except ImportError:  # Debian bookworm's 4.10
        store = {SCHEMA_BASE + name: document for name, document in documents.items()}
        store.update({document["$id"]: document for document in documents.values()})
        resolver = jsonschema.RefResolver.from_schema(bom_schema, store=store)
        return jsonschema.Draft7Validator(bom_schema, resolver=resolver, format_checker=checker)


def schema_errors(validator, document) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(document)]


def dpkg_versions(names: list[str]) -> dict[str, str]:
    if shutil.which("dpkg-query") is None:
        return {}
    result = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Version}\n", *names],
                            capture_output=True, text=True)
    return dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)


def sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parley", required=True, help="path to the parley binary")
    parser.add_argument("--data-dir", required=True, help="tests/data")
    args = parser.parse_args()
    problems: list[str] = []

    def check(condition: bool, what: str, detail: str = "") -> bool:
        print(f"{what:62} {'ok' if condition else 'FAIL'}")
        if not condition:
            problems.append(what + (f": {detail}" if detail else ""))
        return condition

    with tempfile.TemporaryDirectory(prefix="parley-supply-") as tmp:
        root = os.path.join(tmp, "opt", "parley")
        web = os.path.join(root, "share", "parley", "web")
        os.makedirs(os.path.join(root, "bin"))
        os.makedirs(web)
        parley = os.path.join(root, "bin", "parley")
        shutil.copy2(args.parley, parley)
        assets = {"index.html": "<!doctype html><script src=app.js></script>\n",
                  "app.js": "import 'jssip';\nconsole.log('parley');\n",
                  "app.css": "body { margin: 0 }\n"}
        for name, content in assets.items():
            with open(os.path.join(web, name), "w") as f:
                f.write(content)
        keys = os.path.join(tmp, "keys")
        manifest = os.path.join(root, "share", "parley", "MANIFEST.json")
        pubkey = os.path.join(keys, "parley-release.pub")
        app_js = os.path.join(web, "app.js")

        def run(*argv, binary=parley):
            return subprocess.run([binary, *argv], capture_output=True, text=True, timeout=60)

        def verify(*extra, key=pubkey):
            return run("verify", "--root", root, "--manifest", manifest, "--pubkey", key, *extra)

        # --- keys ---
        made = run("release", "keygen", "--out", keys)
        check(made.returncode == 0, "release keygen", made.stderr)
        secret = os.path.join(keys, "parley-release.key")
        mode = stat.S_IMODE(os.stat(secret).st_mode) if os.path.exists(secret) else None
        check(mode == 0o600, "secret key file is mode 0600", oct(mode or 0))
        again = run("release", "keygen", "--out", keys)
        check(again.returncode == 1 and "exists" in again.stderr,
              "keygen refuses to overwrite a key", again.stderr)

        # --- manifest ---
        made = run("release", "manifest", "--root", root, "--out", manifest)
        check(made.returncode == 0, "release manifest", made.stderr)
        with open(manifest, encoding="utf-8") as f:
            document = json.load(f)
        files = {entry["path"]: entry for entry in document.get("files", [])}
        check(sorted(files) == ["bin/parley", "share/parley/web/app.css",
                                "share/parley/web/app.js", "share/parley/web/index.html"],
              "manifest lists every file but itself", str(sorted(files)))
        binary_entry = files.get("bin/parley", {})
        check(binary_entry.get("sha256") == sha256(parley)
              and binary_entry.get("size") == os.path.getsize(parley),
              "manifest holds the binary's SHA-256 and size")
        check(len(document.get("source_commit", "")) >= 7 and document.get("compiler"),
              "manifest names source commit and compiler", str(document.get("compiler")))
        packages = {p["name"]: p["version"] for p in document.get("debian_packages", [])}
        installed = dpkg_versions(["libssl3", "libsqlite3-0", "libsodium23"])
        check(bool(installed) and all(packages.get(n) == v for n, v in installed.items()),
              "manifest lists Debian packages with dpkg's versions", str(packages))

        # --- sign and verify ---
        signed = run("release", "sign", "--key", secret, "--manifest", manifest)
        check(signed.returncode == 0 and os.path.exists(manifest + ".sig"), "release sign",
              signed.stderr)
        good = verify()
        check(good.returncode == 0 and good.stdout.startswith("ok: 4 files"),
              "verify passes the untouched tree", good.stdout + good.stderr)
        default_root = run("verify", "--manifest", manifest, "--pubkey", pubkey)
        check(default_root.returncode == 0,
              "verify without --root checks the binary's own installation", default_root.stderr)

        original = open(app_js, "rb").read()
        changed = bytearray(original)
        changed[0] ^= 0x20
        with open(app_js, "wb") as f:
            f.write(changed)
        result = verify()
        check(result.returncode == 1 and result.stdout == "changed: share/parley/web/app.js\n",
              "one changed byte in a web asset is named", result.stdout + result.stderr)
        with open(app_js, "wb") as f:
            f.write(original)

        extra = os.path.join(root, "bin", "libevil.so")
        with open(extra, "w") as f:
            f.write("payload")
        os.remove(os.path.join(web, "app.css"))
        result = verify()
        check(result.returncode == 1
              and "added: bin/libevil.so\n" in result.stdout
              and "missing: share/parley/web/app.css\n" in result.stdout
              and "1 added, 1 missing, 0 changed" in result.stderr,
              "an added and a missing file are named", result.stdout + result.stderr)
        os.remove(extra)
        with open(os.path.join(web, "app.css"), "w") as f:
            f.write(assets["app.css"])
        check(verify().returncode == 0, "verify passes again once restored")

        # An attacker who changes a file and updates its entry must still break the signature.
        text = open(manifest, encoding="utf-8").read()
        tampered = text.replace(files["share/parley/web/app.js"]["sha256"], "0" * 64)
        with open(manifest, "w", encoding="utf-8") as f:
            f.write(tampered)
        result = verify()
        check(result.returncode == 1 and "signature check failed" in result.stderr
              and result.stdout == "", "a changed manifest fails the signature", result.stderr)
        with open(manifest, "w", encoding="utf-8") as f:
            f.write(text)

        other_keys = os.path.join(tmp, "other-keys")
        run("release", "keygen", "--out", other_keys)
        result = verify(key=os.path.join(other_keys, "parley-release.pub"))
        check(result.returncode == 1 and "signed with key" in result.stderr,
              "another public key fails the signature", result.stderr)

        usage = run("verify", "--root", root)
        check(usage.returncode == 2, "verify without --manifest/--pubkey is a usage error")

    # --- SBOM ---
    validator = sbom_validator(os.path.join(args.data_dir, "cyclonedx"))
    lock = os.path.join(args.data_dir, "npm", "package-lock.json")
    plain = subprocess.run([args.parley, "sbom"], capture_output=True, text=True, timeout=30)
    with_npm = subprocess.run([args.parley, "sbom", "--npm-lock", lock], capture_output=True,
                              text=True, timeout=30)
    for label, result in (("sbom", plain), ("sbom --npm-lock", with_npm)):
        if not check(result.returncode == 0, f"{label} exits 0", result.stderr):
            continue
        bom = json.loads(result.stdout)
        errors = schema_errors(validator, bom)
        check(not errors, f"{label} validates against CycloneDX 1.5", "; ".join(errors[:5]))
    if with_npm.returncode == 0:
        bom = json.loads(with_npm.stdout)
        components = {c["name"]: c for c in bom.get("components", [])}
        installed = dpkg_versions(["libssl3", "libsqlite3-0", "libsodium23", "libsrtp2-1"])
        check(bool(installed) and all(components.get(n, {}).get("version") == v
                                      for n, v in installed.items()),
              "SBOM lists OpenSSL, SQLite, sodium, SRTP with dpkg's versions", str(installed))
        jssip = components.get("jssip", {})
        integrity = next((p["value"] for p in jssip.get("properties", [])
                          if p["name"] == "parley:npm:integrity"), "")
        expected_hex = base64.b64decode(integrity[7:]).hex() if integrity else None
        check(jssip.get("version") == "3.10.1" and jssip.get("purl") == "pkg:npm/jssip@3.10.1"
              and jssip.get("hashes") == [{"alg": "SHA-512", "content": expected_hex}],
              "SBOM lists JsSIP with version and integrity hash", json.dumps(jssip))
        # The real web app: what the build bundles (JsSIP, Preact) is required, the build
        # tools (Vite) excluded, each with the version its committed lock file pins.
        web_lock = os.path.join(args.data_dir, "..", "..", "web", "package-lock.json")
        real = subprocess.run([args.parley, "sbom", "--npm-lock", web_lock], capture_output=True,
                              text=True, timeout=20)
        if check(real.returncode == 0, "sbom --npm-lock web/package-lock.json exits 0",
                 real.stderr):
            with open(web_lock, encoding="utf-8") as f:
                pinned = json.load(f)["packages"]
            real_bom = json.loads(real.stdout)
            check(not schema_errors(validator, real_bom),
                  "the web app's SBOM validates against CycloneDX 1.5")
            by_name = {c["name"]: c for c in real_bom.get("components", [])}
            for name, scope in (("jssip", "required"), ("preact", "required"),
                                ("vite", "excluded")):
                component = by_name.get(name, {})
                version = pinned.get(f"node_modules/{name}", {}).get("version")
                check(version is not None and component.get("version") == version
                      and component.get("scope") == scope,
                      f"web SBOM lists {name} {version} as {scope}", json.dumps(component))
        # The validator must be able to say no, or the checks above prove nothing.
        broken = json.loads(with_npm.stdout)
        broken["components"][0]["type"] = "plugin"
        del broken["components"][1]["name"]
        check(len(schema_errors(validator, broken)) >= 2, "the schema rejects a broken SBOM")

    # --- no code from elsewhere ---
    if shutil.which("nm"):
        symbols = subprocess.run(["nm", "-D", "--undefined-only", args.parley],
                                 capture_output=True, text=True).stdout
        loaders = [s for s in symbols.split() if s.split("@")[0] in ("dlopen", "dlmopen")]
        check(not loaders, "the binary imports no dlopen", " ".join(loaders))

    return report(problems, "supply chain: manifest, signature, verify, SBOM")


if __name__ == "__main__":
    run_main(main)
