"""Accessibility checks of a page in the browser: axe-core (no serious or critical violation)
and the keyboard (every visible control is reached by Tab and has a name)."""

from __future__ import annotations

from typing import Any

import pytest

axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")

BLOCKING = ("serious", "critical")

# Marks every visible control with its index and returns how many there are with their names.
_MARK_CONTROLS = """() => {
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  const out = [];
  document.querySelectorAll(sel).forEach((el) => {
    const r = el.getBoundingClientRect();
    const style = window.getComputedStyle(el);
    if (el.disabled || el.hidden || style.visibility === 'hidden' || style.display === 'none')
      return;
    if (r.width === 0 && r.height === 0 && !el.classList.contains('skip')) return;
    el.setAttribute('data-kb', String(out.length));
    out.push(el.outerHTML.slice(0, 120));
  });
  return out;
}"""
_FOCUS_TOP = """() => {
  const b = document.body;
  b.setAttribute('tabindex', '-1'); b.focus(); b.removeAttribute('tabindex');
}"""
_ACTIVE = "() => (document.activeElement && document.activeElement.getAttribute('data-kb'))"


def assert_no_axe_violations(page: Any, where: str) -> None:
    results = axe_module.Axe().run(page)
    violations = results.response["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING]
    described = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in blocking
    ]
    assert not blocking, f"{where}: axe found {len(blocking)} serious/critical: {described}"


def assert_keyboard_reachable(page: Any, where: str) -> None:
    """Tab from the top of the page reaches every visible control (links, buttons, fields,
    disclosure summaries)."""
    controls = page.evaluate(_MARK_CONTROLS)
    page.evaluate(_FOCUS_TOP)
    reached: set[str] = set()
    for _ in range(len(controls) * 2 + 10):
        page.keyboard.press("Tab")
        mark = page.evaluate(_ACTIVE)
        if mark is not None:
            if mark in reached and len(reached) == len(controls):
                break
            reached.add(mark)
    missing = [controls[int(i)] for i in range(len(controls)) if str(i) not in reached]
    assert not missing, f"{where}: not reachable with Tab: {missing[:5]}"


def assert_accessible(page: Any, where: str) -> None:
    assert_no_axe_violations(page, where)
    assert_keyboard_reachable(page, where)
