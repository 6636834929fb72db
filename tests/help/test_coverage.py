"""Every code the server can emit or receive has a help entry.

The codes are read from the code and the project's protocol document, not from a list kept
here: the HRESULT and status tables the engine reacts with, what the simulated QuickBooks and
Web Connector can produce, the QBWC/HRESULT/status tables of docs/protocol.md (§4.4, §5, §6.3),
and — by reading the engine's and the SOAP layer's source — every session outcome they record
and every sentence they can say to a person.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from qbwc_server.help import catalog, refusals
from qbwc_server.qbxml import hresult, status
from qbwc_server.sim import soap_client
from qbwc_server.sim.quickbooks import errors as sim_errors
from qbwc_server.sim.quickbooks import status as sim_status

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = PROJECT_ROOT / "qbwc_server"
SPEAKING_LAYERS = ("engine", "soap")  # what the Web Connector (and so the customer) is told


def _missing(codes: set[str]) -> list[str]:
    return sorted(code for code in codes if catalog.lookup(code) is None)


# --- tables the server reacts with -----------------------------------------------------------


def test_every_hresult_the_engine_reacts_to_has_an_entry_and_vice_versa() -> None:
    engine = {catalog.hresult_code(code) for code in hresult.HRESULTS}
    assert not _missing(engine)
    listed = {item.code for item in catalog.entries(kind="hresult")}
    assert listed == engine, "an HRESULT with words but no reaction, or the other way round"


def test_every_status_code_the_engine_classifies_has_an_entry() -> None:
    assert not _missing({str(code) for code in status.STATUS_CODES})


def test_everything_the_simulator_can_send_has_an_entry() -> None:
    sent = set(sim_errors.HRESULT_MESSAGES)
    sent |= {
        str(value)
        for name, value in vars(sim_status).items()
        if name.isupper() and isinstance(value, int)
    }
    sent |= {code for code in soap_client.QBWC_ERROR_CODES.values() if code}
    assert len(sent) > 30
    assert not _missing(sent)


# --- the protocol document's tables ------------------------------------------------------------


def _section(text: str, number: str) -> str:
    start = re.search(rf"^#+ {re.escape(number)}\.? .*$", text, re.MULTILINE)
    assert start is not None, f"no section {number}"
    end = re.search(r"^#{1,3} \d", text[start.end() :], re.MULTILINE)
    return text[start.end() : start.end() + end.start()] if end else text[start.end() :]


def _first_cells(section: str) -> Iterator[tuple[str, str]]:
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and len(cells) > 1 and not set(cells[0]) <= set("-: "):
            yield cells[0], cells[1]


def documented_codes(path: Path) -> dict[str, set[str]]:
    """QBWC codes (§4.4), HRESULTs (§5) and status codes (§6.3) the document's tables list."""
    text = path.read_text(encoding="utf-8")
    qbwc: set[str] = set()
    for cell, _ in _first_cells(_section(text, "4.4")):
        for low, high in re.findall(r"(\d{4})\s*-\s*(?:QBWC)?(\d{4})", cell):
            qbwc |= {f"QBWC{n}" for n in range(int(low), int(high) + 1)}
        qbwc |= {f"QBWC{n}" for n in re.findall(r"(?<![\d-])(\d{4})(?![\d-])", cell)}
    hresults = {
        catalog.hresult_code(int(code, 16))
        for cell, _ in _first_cells(_section(text, "5"))
        for code in re.findall(r"0x[0-9A-Fa-f]{8}", cell)
    }
    statuses: set[str] = set()
    for cell, meaning in _first_cells(_section(text, "6.3")):
        if re.search(r"\d\s*-\s*\d", cell):  # a range row names its codes in the meaning
            statuses |= {str(int(n)) for n in re.findall(r"\((\d{3,4})\)", meaning)}
        else:
            statuses |= {str(int(n)) for n in re.findall(r"\b(\d{1,4})\b", cell)}
    return {"qbwc": qbwc, "hresult": hresults, "qbxml_status": statuses}


def test_every_code_in_docs_protocol_has_an_entry() -> None:
    documented = documented_codes(PROJECT_ROOT / "docs" / "protocol.md")
    assert len(documented["qbwc"]) >= 45 and len(documented["hresult"]) >= 20
    assert len(documented["qbxml_status"]) >= 30
    for kind, codes in documented.items():
        assert not _missing(codes), f"{kind} codes of docs/protocol.md without an entry"
        listed = {item.code for item in catalog.entries(kind=kind)} - {"600"}
        assert listed <= codes, f"{kind} entries docs/protocol.md does not explain"


def test_docs_protocol_lists_every_code_of_the_team_notes(reference_dir: Path) -> None:
    # The team's protocol notes sit beside the reference files (../shared/docs).
    notes = reference_dir.parent / "docs" / "qbwc-protocol.md"
    ours = documented_codes(PROJECT_ROOT / "docs" / "protocol.md")
    for kind, codes in documented_codes(notes).items():
        assert codes <= ours[kind], f"{kind}: {sorted(codes - ours[kind])}"


# --- what the engine records and says --------------------------------------------------------


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for layer in SPEAKING_LAYERS:
        for path in sorted((PACKAGE / layer).glob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def recorded_outcomes() -> dict[str, str]:
    """Every string literal the engine stores as a session outcome -> where."""
    found: dict[str, str] = {}
    for path, tree in _modules():
        params: dict[str, int] = {}  # function name -> index of its ``outcome`` parameter
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                names = [a.arg for a in node.args.args]
                if "outcome" in names:
                    offset = 1 if names and names[0] == "self" else 0
                    params[node.name] = names.index("outcome") - offset
        for node in ast.walk(tree):
            values: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                if any(
                    isinstance(t, ast.Attribute) and t.attr in ("outcome", "last_session_outcome")
                    for t in node.targets
                ):
                    values.append(node.value)
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                if name in params and len(node.args) > params[name]:
                    values.append(node.args[params[name]])
                values += [k.value for k in node.keywords if k.arg == "outcome"]
            for value in values:
                for sub in ast.walk(value):
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        found.setdefault(sub.value, f"{path.name}:{sub.lineno}")
    return found


def test_every_session_outcome_the_engine_records_is_mapped() -> None:
    outcomes = recorded_outcomes()
    assert {"nvu", "wrong_file", "completed"} <= set(outcomes), outcomes  # the scan works
    unmapped = {o: where for o, where in outcomes.items() if o not in refusals.OUTCOME_PROBLEMS}
    assert not unmapped, (
        f"the engine records session outcomes {unmapped} that help/refusals.py OUTCOME_PROBLEMS "
        "does not map (to an entry, or to None when it is not a problem)"
    )
    for outcome, code in refusals.OUTCOME_PROBLEMS.items():
        assert code is None or catalog.lookup(code) is not None, outcome


# Where the engine names a help entry: the call and the position of its code argument (self
# not counted), and any ``code=`` keyword.
_CODE_ARGS = {"TicketRejected": 0, "_fail_session": 2, "web_connector_text": 0, "set_problem": 1,
              "Gate": 0}  # fmt: skip
CODE_NAMING = (*SPEAKING_LAYERS, "services")


def named_codes() -> dict[str, str]:
    """Every string literal the engine, the SOAP layer and the services name a help entry by
    (a refusal's code, a session's problem, the Web Connector's text) -> where; module
    constants such as ``WRONG_FILE = "wrong_company_file"`` count when they end up there."""
    found: dict[str, str] = {}
    for layer in CODE_NAMING:
        for path in sorted((PACKAGE / layer).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            constants = {
                t.id: node.value.value
                for node in ast.walk(tree)
                if isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
                for t in node.targets
                if isinstance(t, ast.Name) and t.id.isupper()
            }
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                values = [k.value for k in node.keywords if k.arg == "code"]
                if name in _CODE_ARGS and len(node.args) > _CODE_ARGS[name]:
                    values.append(node.args[_CODE_ARGS[name]])
                for value in values:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        found.setdefault(value.value, f"{path.parent.name}/{path.name}")
                    elif isinstance(value, ast.Name) and value.id in constants:
                        found.setdefault(constants[value.id], f"{path.parent.name}/{path.name}")
    return found


def test_every_code_the_engine_names_has_an_entry() -> None:
    named = named_codes()
    # The scan works: refusals named by code, in the engine, the tickets and the gate.
    assert {"wrong_company_file", "session_unknown", "sync_taken_over", "paused",
            "waiting_for_confirmation", "quickbooks_too_old"} <= set(named), named  # fmt: skip
    missing = {code: where for code, where in named.items() if catalog.lookup(code) is None}
    assert not missing, f"codes named without a help/ entry: {missing}"


def test_the_web_connector_is_told_the_entrys_words() -> None:
    for code in ("wrong_company_file", "waiting_for_confirmation", "session_unknown"):
        item = catalog.lookup(code)
        assert item is not None
        text = catalog.web_connector_text(code, "Expected: Acme.")
        assert text == f"{item.sentence} Expected: Acme. {item.advice}"
        assert catalog.problem_for_message(text) == item
    assert catalog.web_connector_text("0x8004FFFF").startswith(
        catalog.hresult_entry(0x8004FFFF).sentence
    )


_LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}


def said_sentences() -> dict[str, str]:
    """Every sentence in the engine and SOAP layer that can reach a person -> where.

    A sentence is a string literal of at least four words, not a docstring, not a log message,
    not markup; an f-string counts when it starts a sentence (a capital letter or a clientVersion
    ``E:``/``W:``), and is keyed by its literal text up to the first placeholder. (An f-string
    starting in lower case or with a space is a piece of a sentence built around it.)"""
    found: dict[str, str] = {}
    for path, tree in _modules():
        skip: set[int] = set()
        for node in ast.walk(tree):
            is_doc = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            is_log = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _LOG_METHODS
            )
            if is_doc or is_log or isinstance(node, ast.JoinedStr):
                skip |= {id(sub) for sub in ast.walk(node) if sub is not node}
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.JoinedStr):
                parts = [
                    v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
                    for v in node.values
                ]
                whole, lead = "".join(parts), parts[0] if parts else ""
                if not lead[:1].isupper():
                    continue  # a placeholder first (e.g. the catalog's own words) or a fragment
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                whole = lead = node.value
            else:
                continue
            if len(whole.split()) >= 4 and "<" not in whole and not whole[:1].isdigit():
                found.setdefault(lead, f"{path.parent.name}/{path.name}:{node.lineno}")
    return found


def test_every_sentence_the_server_says_maps_to_an_entry_or_is_declared_harmless() -> None:
    sentences = said_sentences()
    assert len(sentences) >= 15, sentences  # the scan works
    prefixes = [prefix for prefix, _ in refusals.SERVER_MESSAGES]
    unmapped = {
        text: where
        for text, where in sentences.items()
        if not any(text.startswith(prefix) for prefix in prefixes)
    }
    assert not unmapped, (
        "the engine or SOAP layer can say sentences that no help entry explains; add an entry "
        "and the sentence's start to help/refusals.py SERVER_MESSAGES (None if harmless):\n"
        + "\n".join(f"  {where}: {text!r}" for text, where in sorted(unmapped.items()))
    )
    for prefix, code in refusals.SERVER_MESSAGES:
        assert code is None or catalog.lookup(code) is not None, prefix
        if code is not None:
            assert catalog.problem_for_message(prefix + " ...").code == code  # type: ignore[union-attr]


def test_refusals_issue_11_adds_have_entries() -> None:
    # Named by issue 11: the states a customer can see before any engine code emits them.
    for code in ("waiting_for_confirmation", "paused", "sync_window", "wrong_company_file",
                 "connector_key_wrong", "connector_key_rotated", "client_too_old"):  # fmt: skip
        assert catalog.lookup(code) is not None, code
