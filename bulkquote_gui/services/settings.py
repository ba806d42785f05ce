"""The rep's settings: a typed object saved as JSON in the config folder. Never holds the API key."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from bulkquote_gui.core.file_modes import private_folder, private_opener
from bulkquote_gui.core.offer import BANDWIDTHS_MBPS, PRODUCTS, TERMS_MONTHS, BatchDefaults
from bulkquote_gui.core.store.engine import public_url, save_database_password
from bulkquote_gui.services.paths import config_dir

log = logging.getLogger(__name__)
SETTINGS_FILE = "settings.json"


@dataclass
class Settings:
    api_base_url: str = ""          # empty = demo mode against the built-in simulator
    provider_name: str = ""         # the window's provider (empty: the first one added)
    poll_interval_s: float = 15.0   # when the server sends no Retry-After
    quote_timeout_s: float = 300.0  # per quote, counted from its stored submit time
    default_bandwidth_mbps: int = 1000
    default_term_months: int = 36
    default_product: str = "DIA"
    default_company: str = ""
    rep_name: str = ""
    rep_email: str = ""
    # The proposal's cover (core/deal/proposal_data.py): the rep's company and its logo file
    # (a PNG or JPEG, read and checked by core/deal/logo.py when saved and when used).
    company_name: str = ""
    company_logo: str = ""
    # The store when neither --db nor BULKQUOTE_DB names one; empty = the SQLite file in the data
    # folder. Saved without a password (that goes to the keyring, see save_settings).
    database_url: str = ""
    # Plain http:// to a host other than this computer sends the key unencrypted: refused
    # (core/quoting/momentum.check_api_url) unless the rep ticks this for a server on a trusted network.
    allow_insecure_http: bool = False
    # E-mail when a batch ends or needs the rep (services/notify.py); no host = no e-mail. The
    # SMTP password is in the OS keyring (services/secrets.SmtpPasswordStore), never here.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"   # none / starttls / ssl
    smtp_user: str = ""
    smtp_from: str = ""               # empty: the user, when it is an address
    smtp_to: str = ""                 # comma-separated; empty: rep_email
    smtp_allow_plain_login: bool = False   # a login without TLS to another computer (mailer.py)

    def problems(self) -> list[str]:
        """What is wrong with these values, in words for the settings dialog."""
        out = []
        if self.api_base_url and not self.api_base_url.startswith(("http://", "https://")):
            out.append("API base URL must start with https:// (or http:// for a local server)")
        if not 1 <= self.poll_interval_s <= 3600:
            out.append("Poll interval must be between 1 and 3600 seconds")
        if not 10 <= self.quote_timeout_s <= 24 * 3600:
            out.append("Quote timeout must be between 10 seconds and 24 hours")
        if self.default_bandwidth_mbps not in BANDWIDTHS_MBPS:
            out.append(f"Default speed {self.default_bandwidth_mbps} Mbps is not offered")
        if self.default_term_months not in TERMS_MONTHS:
            out.append(f"Default term {self.default_term_months} months is not offered")
        if self.default_product not in PRODUCTS:
            out.append(f"Default product {self.default_product!r} is not offered")
        if self.database_url.strip() and not _is_database_url(self.database_url.strip()):
            out.append("Database URL must look like postgresql+psycopg://user@host/database "
                       "(or sqlite:///path)")
        if not 1 <= self.smtp_port <= 65535:
            out.append("SMTP port must be between 1 and 65535")
        if self.smtp_security not in ("none", "starttls", "ssl"):
            out.append("SMTP security must be none, starttls or ssl")
        return out

    def batch_defaults(self) -> BatchDefaults:
        return BatchDefaults(self.default_bandwidth_mbps, self.default_term_months,
                             self.default_product, self.default_company)


def _is_database_url(url: str) -> bool:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).get_backend_name() in ("sqlite", "postgresql")
    except Exception:
        return False


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings; a missing or damaged file gives the defaults (and a log line), never a crash."""
    path = path or settings_path()
    settings = Settings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raw = {}
    except (OSError, ValueError) as exc:
        log.warning("settings file %s unreadable (%s); using defaults", path, exc)
        raw = {}
    known = {f.name: f.type for f in fields(Settings)}
    for name, value in (raw.items() if isinstance(raw, dict) else []):
        if name in known and isinstance(value, type(getattr(settings, name))):
            setattr(settings, name, value)
        elif name in known and isinstance(value, int) and isinstance(getattr(settings, name), float):
            setattr(settings, name, float(value))
    if settings.problems():
        log.warning("settings file %s has bad values (%s); using defaults for them",
                    path, "; ".join(settings.problems()))
        defaults = Settings()
        for name in known:
            trial = Settings(**{**asdict(defaults), name: getattr(settings, name)})
            if trial.problems():
                setattr(settings, name, getattr(defaults, name))
    if settings.database_url != public_url(settings.database_url):
        log.warning("settings file %s has a database password; it is ignored (the keyring, "
                    "PGPASSWORD or ~/.pgpass hold it)", path)
        settings.database_url = public_url(settings.database_url)
    env_url = os.environ.get("BULKQUOTE_API_URL")
    if env_url:
        settings.api_base_url = env_url
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a file.

    A database URL typed with a password is written without it; the password goes to the OS
    keyring (where there is one), for make_engine to find next time. `settings` keeps it.
    """
    path = path or settings_path()
    private_folder(path.parent)
    data = asdict(settings)
    data["database_url"] = public_url(settings.database_url)
    if data["database_url"] != settings.database_url and not save_database_password(
            settings.database_url):
        log.warning("no keyring to keep the database password; it is used for this session only")
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", opener=private_opener) as f:  # 0600: the rep's alone
        f.write(json.dumps(data, indent=2))
    os.replace(tmp, path)
