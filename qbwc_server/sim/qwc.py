"""Read a .qwc file the way the Web Connector does when the user adds an application (§4.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)

# [PG Table 4-1]: required elements (AppID must be present but may be empty).
REQUIRED_ELEMENTS = (
    "AppName",
    "AppID",
    "AppURL",
    "AppDescription",
    "AppSupport",
    "UserName",
    "OwnerID",
    "FileID",
    "QBType",
)


class QwcError(ValueError):
    """The .qwc cannot be used (not XML, wrong root, missing required elements...)."""


@dataclass(frozen=True)
class QwcInfo:
    path: str
    app_name: str
    app_id: str
    app_url: str
    app_description: str
    app_support: str
    username: str
    owner_id: str
    file_id: str
    qb_type: str
    app_display_name: str | None = None
    app_unique_name: str | None = None
    cert_url: str | None = None
    style: str | None = None
    auth_flags: str | None = None
    is_read_only: bool | None = None
    personal_data_pref: str | None = None
    unattended_mode_pref: str | None = None
    notify: bool | None = None
    run_every_seconds: int | None = None  # from Scheduler; None when there is no schedule
    scheduler_element: str | None = None  # "RunEveryNMinutes" or "RunEveryNSeconds"
    extra: dict[str, str] = field(default_factory=dict)  # unknown elements, kept verbatim

    @property
    def interval_seconds(self) -> int | None:
        return self.run_every_seconds


def _bool(text: str | None, name: str, source: str) -> bool | None:
    if text is None:
        return None
    value = text.strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    raise QwcError(f"{source}: <{name}> must be true or false, not {text!r}")


def parse_qwc(data: bytes, *, source: str = "<qwc>") -> QwcInfo:
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise QwcError(f"{source}: not a well-formed XML file: {exc}") from exc
    if root.tag != "QBWCXML":
        raise QwcError(f"{source}: root element is <{root.tag}>, expected <QBWCXML>")

    values: dict[str, str] = {}
    scheduler: etree._Element | None = None
    for child in root:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "Scheduler":
            scheduler = child
            continue
        if child.tag in values:
            raise QwcError(f"{source}: <{child.tag}> appears more than once")
        values[child.tag] = (child.text or "").strip()

    missing = [name for name in REQUIRED_ELEMENTS if name not in values]
    if missing:
        raise QwcError(f"{source}: missing required element(s): {', '.join(missing)}")
    empty = [n for n in REQUIRED_ELEMENTS if n != "AppID" and not values[n]]
    if empty:
        raise QwcError(f"{source}: required element(s) empty: {', '.join(empty)}")

    run_every, element = _read_scheduler(scheduler, source)
    known = set(REQUIRED_ELEMENTS) | {
        "AppDisplayName",
        "AppUniqueName",
        "CertURL",
        "Style",
        "AuthFlags",
        "IsReadOnly",
        "PersonalDataPref",
        "UnattendedModePref",
        "Notify",
    }
    return QwcInfo(
        path=source,
        app_name=values["AppName"],
        app_id=values["AppID"],
        app_url=values["AppURL"],
        app_description=values["AppDescription"],
        app_support=values["AppSupport"],
        username=values["UserName"],
        owner_id=values["OwnerID"],
        file_id=values["FileID"],
        qb_type=values["QBType"],
        app_display_name=values.get("AppDisplayName"),
        app_unique_name=values.get("AppUniqueName"),
        cert_url=values.get("CertURL"),
        style=values.get("Style"),
        auth_flags=values.get("AuthFlags"),
        is_read_only=_bool(values.get("IsReadOnly"), "IsReadOnly", source),
        personal_data_pref=values.get("PersonalDataPref"),
        unattended_mode_pref=values.get("UnattendedModePref"),
        # [PG p.36]: "true" enables notifications, anything else disables them.
        notify=None if "Notify" not in values else values["Notify"].lower() == "true",
        run_every_seconds=run_every,
        scheduler_element=element,
        extra={k: v for k, v in values.items() if k not in known},
    )


def _read_scheduler(scheduler: etree._Element | None, source: str) -> tuple[int | None, str | None]:
    if scheduler is None:
        return None, None
    # [PG pp.37-39]: RunEveryNMinutes or RunEveryNSeconds; if both, the first one wins.
    for child in scheduler:
        if child.tag not in ("RunEveryNMinutes", "RunEveryNSeconds"):
            continue
        text = (child.text or "").strip()
        try:
            value = int(text)
        except ValueError as exc:
            raise QwcError(f"{source}: <{child.tag}> must be a whole number, not {text!r}") from exc
        if value <= 0:
            raise QwcError(f"{source}: <{child.tag}> must be positive, not {value}")
        return (value * 60 if child.tag == "RunEveryNMinutes" else value), str(child.tag)
    return None, None


def read_qwc(path: str | Path) -> QwcInfo:
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise QwcError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    return parse_qwc(data, source=str(file))
