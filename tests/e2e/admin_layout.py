"""The layout check of Wagtail admin pages in browser tests (shared by the admin screen tests)."""

from __future__ import annotations

# The Wagtail admin scrolls its content inside `main#main` (a 100vh wrapper) and clips it
# sideways (`overflow-x: hidden` on main and body): the document never scrolls, so a full-page
# screenshot shows one screen and a page too wide is cut off instead of scrolling. The check
# therefore measures main itself, and names the widest elements sticking out of it that are not
# inside a scroll wrapper (`overflow-x: auto`, the tables' `.assessment-scroll` and
# `.score-sheet-wrap`).
NO_SCROLL = "table.score-sheet, #department-heads"
LAYOUT_JS = """() => {
    const main = document.querySelector('main#main') || document.scrollingElement;
    const right = main.getBoundingClientRect().left + main.clientWidth;
    const scrolls = el => { for (let p = el.parentElement; p && p !== main; p = p.parentElement) {
        const x = getComputedStyle(p).overflowX; if (x === 'auto' || x === 'scroll') return true; }
        return false; };
    const sticking = [...main.querySelectorAll('*')]
        .filter(el => el.getBoundingClientRect().right > right + 1 && !scrolls(el))
        .map(el => [Math.round(el.getBoundingClientRect().right),
                    el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                    + (el.classList.length ? '.' + [...el.classList].join('.') : '')])
        .sort((a, b) => b[0] - a[0]).slice(0, 4);
    // Tables that must fit a phone without scrolling: the score sheet (cards below 50em) and
    // the heads' three columns.
    const cramped = [...main.querySelectorAll(NO_SCROLL)]
        .map(table => table.parentElement)
        .filter(box => box.scrollWidth > box.clientWidth + 1)
        .map(box => `${box.firstElementChild.id || box.firstElementChild.className} `
                    + `${box.scrollWidth}px in ${box.clientWidth}px`);
    const ids = new Map();
    for (const el of main.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) || 0) + 1);
    return {height: main.scrollHeight + main.getBoundingClientRect().top,
            main: [main.scrollWidth, main.clientWidth],
            document: [document.documentElement.scrollWidth, window.innerWidth],
            sticking, cramped, duplicates: [...ids].filter(([, n]) => n > 1).map(([id]) => id)};
}"""


def admin_layout(page, *, no_scroll: str = NO_SCROLL) -> dict:
    """Measure the open admin page (see the comment above)."""
    return page.evaluate(LAYOUT_JS.replace("NO_SCROLL", repr(no_scroll)))


def admin_layout_problems(layout: dict) -> list[str]:
    """What is wrong with a measured page: content wider than main or the screen outside a
    scroll wrapper, tables that must fit but scroll, ids given to two elements."""
    problems = []
    (main_scroll, main_width), (doc_scroll, doc_width) = layout["main"], layout["document"]
    if (main_scroll > main_width or doc_scroll > doc_width or layout["sticking"]
            or layout["cramped"]):
        problems.append(f"main {main_scroll}px in {main_width}px, document {doc_scroll}px in "
                        f"{doc_width}px; sticking out: {layout['sticking']}; scrolling tables: "
                        f"{layout['cramped']}")
    if layout["duplicates"]:
        problems.append(f"repeated ids {layout['duplicates']}")
    return problems


def admin_shot(page, path: str, *, size: dict, no_scroll: str = NO_SCROLL) -> list[str]:
    """Screenshot the whole admin page (the viewport stretched to main's height for the shot,
    since the document itself never scrolls) and return its layout problems."""
    layout = admin_layout(page, no_scroll=no_scroll)
    page.set_viewport_size({"width": size["width"],
                            "height": max(size["height"], int(layout["height"]))})
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(size)
    return admin_layout_problems(layout)
