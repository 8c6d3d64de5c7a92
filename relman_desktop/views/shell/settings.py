"""One typed wrapper over QSettings: preferences in one file, window geometry in another.

Geometry and dock layout change on every resize and belong to one screen; preferences are the
user's choices. Keeping them apart means "reset window layout" never loses a preference, and
a screenshot or a test can run with throw-away settings (``Settings.in_memory()``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from relman_desktop.models.database import is_server_url, redact

THEMES = ("light", "dark", "high-contrast")
MAX_RECENT = 10
TEXT_SIZE_RANGE = (-4, 12)  # steps of one point around the platform's default size


def _config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("relman-desktop", appauthor=False))


def _setting_name(text: str) -> str:
    """``text`` as one QSettings key part (no slashes, which nest groups; no INI specials)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


class _MemoryStore:
    """A dict that answers like QSettings, for screenshots and tests that must not persist."""

    def __init__(self) -> None:
        self._values: dict[str, object] = {}

    def value(self, key: str, default: object = None) -> object:
        return self._values.get(key, default)

    def setValue(self, key: str, value: object) -> None:  # noqa: N802 - QSettings' spelling
        self._values[key] = value

    def remove(self, key: str) -> None:
        self._values.pop(key, None)

    def sync(self) -> None:
        pass


class Settings:
    """Typed access to the app's settings. ``folder`` defaults to the user's config folder."""

    def __init__(self, folder: Path | None = None, *, memory: bool = False) -> None:
        if memory:
            self._prefs: QSettings | _MemoryStore = _MemoryStore()
            self._state: QSettings | _MemoryStore = _MemoryStore()
            return
        folder = folder or _config_dir()
        folder.mkdir(parents=True, exist_ok=True)
        self._prefs = QSettings(str(folder / "preferences.ini"), QSettings.Format.IniFormat)
        self._state = QSettings(str(folder / "window-state.ini"), QSettings.Format.IniFormat)

    @classmethod
    def in_memory(cls) -> Settings:
        return cls(memory=True)

    # --- preferences ------------------------------------------------------------------------

    @property
    def theme(self) -> str:
        value = str(self._prefs.value("appearance/theme", "light"))
        return value if value in THEMES else "light"

    @theme.setter
    def theme(self, value: str) -> None:
        if value not in THEMES:
            raise ValueError(f"unknown theme {value!r}; themes: {', '.join(THEMES)}")
        self._prefs.setValue("appearance/theme", value)

    @property
    def text_size_delta(self) -> int:
        try:
            value = int(str(self._prefs.value("appearance/text_size_delta", 0)))
        except (TypeError, ValueError):
            return 0
        lo, hi = TEXT_SIZE_RANGE
        return max(lo, min(hi, value))

    @text_size_delta.setter
    def text_size_delta(self, value: int) -> None:
        lo, hi = TEXT_SIZE_RANGE
        self._prefs.setValue("appearance/text_size_delta", max(lo, min(hi, int(value))))

    @property
    def recent_plans(self) -> list[str]:
        value = self._prefs.value("files/recent", [])
        if isinstance(value, str):  # QSettings returns a lone string for a one-item list
            value = [value]
        items = value if isinstance(value, list | tuple) else []
        return [str(v) for v in items if v][:MAX_RECENT]

    def add_recent_plan(self, path: str | Path) -> None:
        # a server plan is kept as its URL, which never holds a password (redacted anyway)
        text = redact(str(path)) if is_server_url(str(path)) else str(Path(path).absolute())
        recent = [p for p in self.recent_plans if p != text]
        self._prefs.setValue("files/recent", [text, *recent][:MAX_RECENT])

    def remove_recent_plan(self, path: str | Path) -> None:
        text = str(path) if is_server_url(str(path)) else str(Path(path).absolute())
        self._prefs.setValue("files/recent", [p for p in self.recent_plans if p != text])

    @property
    def last_plan(self) -> str | None:
        """The plan open when the window last showed one (reopened on the next start)."""
        value = self._prefs.value("files/last_plan")
        return str(value) if value else None

    @last_plan.setter
    def last_plan(self, value: str | Path | None) -> None:
        if value is None:
            self._prefs.remove("files/last_plan")
        else:
            self._prefs.setValue("files/last_plan", str(Path(value).absolute()))

    @property
    def last_export_folder(self) -> str | None:
        """The folder the last export was saved in (export dialogs open there)."""
        value = self._prefs.value("files/last_export_folder")
        return str(value) if value else None

    @last_export_folder.setter
    def last_export_folder(self, value: str | None) -> None:
        self._prefs.setValue("files/last_export_folder", value or "")

    def clear_recent_plans(self) -> None:
        self._prefs.setValue("files/recent", [])

    # --- backups ------------------------------------------------------------------------------

    @property
    def backup_interval_minutes(self) -> int:
        """Minutes of editing between automatic backups (also taken when a plan opens)."""
        return self._int("backups/interval_minutes", 30, 1, 24 * 60)

    @backup_interval_minutes.setter
    def backup_interval_minutes(self, value: int) -> None:
        self._prefs.setValue("backups/interval_minutes", max(1, min(24 * 60, int(value))))

    @property
    def backups_kept(self) -> int:
        """Automatic backups kept besides one a day for a week."""
        return self._int("backups/kept", 10, 1, 1000)

    @backups_kept.setter
    def backups_kept(self, value: int) -> None:
        self._prefs.setValue("backups/kept", max(1, min(1000, int(value))))

    def _int(self, key: str, default: int, lo: int, hi: int) -> int:
        try:
            value = int(self._prefs.value(key, default))  # type: ignore[arg-type,call-overload]
        except (TypeError, ValueError):
            return default
        return max(lo, min(hi, value))

    # --- window state (kept apart) ----------------------------------------------------------

    @property
    def window_geometry(self) -> QByteArray | None:
        value = self._state.value("main_window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @window_geometry.setter
    def window_geometry(self, value: QByteArray) -> None:
        self._state.setValue("main_window/geometry", value)

    def geometry_for(self, screen_key: str) -> QByteArray | None:
        """The window geometry last used on the screen ``screen_key`` (name and size)."""
        value = self._state.value(f"screens/{_setting_name(screen_key)}/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry_for(self, screen_key: str, value: QByteArray) -> None:
        self._state.setValue(f"screens/{_setting_name(screen_key)}/geometry", value)

    @property
    def window_state(self) -> QByteArray | None:
        value = self._state.value("main_window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @window_state.setter
    def window_state(self, value: QByteArray) -> None:
        self._state.setValue("main_window/state", value)

    def hidden_columns(self, table: str) -> list[str] | None:
        """The columns the user hid in ``table`` (``[]``: they chose to show all), or None when
        they never chose (the table fits its window)."""
        value = self._state.value(f"columns/{table}")
        if value is None:
            return None
        return [n for n in str(value).split(",") if n]

    def set_hidden_columns(self, table: str, names: list[str] | None) -> None:
        if names is None:
            self._state.remove(f"columns/{table}")
        else:  # one comma-separated string: an INI file reads a one-item list back as a string
            self._state.setValue(f"columns/{table}", ",".join(names))

    def sync(self) -> None:
        self._prefs.sync()
        self._state.sync()
