// Ranking candidates for an election ballot, by drag-and-drop and by
// keyboard: an ordered list whose items each have "move up", "move down"
// and "leave out" controls (real buttons, so Tab and Enter reach them),
// Alt+ArrowUp/ArrowDown on a focused item, and a live region that says
// where the candidate went. The ballot is the ranked items, in order.

/**
 * @param {HTMLElement} root   where the list goes (emptied)
 * @param {{id: string, label: string}[]} items  in their starting order
 * @param {(key: string, vars?: object) => string} t  the desk's messages
 * @returns {{ ranking: () => string[] }}
 */
export function rankingList(root, items, t, idPrefix) {
  const order = items.map((x) => ({ ...x, ranked: true }));
  const live = document.createElement("p");
  live.className = "rank-live";
  live.setAttribute("aria-live", "assertive");
  live.setAttribute("role", "status");
  const ol = document.createElement("ol");
  ol.className = "ranking";
  ol.setAttribute("aria-label", t("ranking_label"));
  root.replaceChildren(ol, live);
  let dragged = null;

  function announce(item) {
    const ranked = order.filter((x) => x.ranked);
    const at = ranked.indexOf(item);
    live.textContent = item.ranked ? t("rank_moved", { who: item.label, at: at + 1, of: ranked.length }) : t("rank_left_out", { who: item.label });
  }

  function move(i, to, focusWhat) {
    if (to < 0 || to >= order.length || to === i) return;
    const [item] = order.splice(i, 1);
    order.splice(to, 0, item);
    draw();
    announce(item);
    const el = ol.querySelector(`[data-candidate="${CSS.escape(item.id)}"] ${focusWhat}`);
    if (el && !el.disabled) el.focus();
    else ol.querySelector(`[data-candidate="${CSS.escape(item.id)}"]`)?.focus();
  }

  function button(cls, key, label, onClick, disabled) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = t(key);
    b.setAttribute("aria-label", t(`${key}_who`, { who: label }));
    b.disabled = disabled;
    b.addEventListener("click", onClick);
    return b;
  }

  function draw() {
    ol.replaceChildren();
    order.forEach((item, i) => {
      const li = document.createElement("li");
      li.dataset.candidate = item.id;
      li.dataset.ranked = String(item.ranked);
      li.draggable = true;
      li.tabIndex = 0;
      li.setAttribute("aria-describedby", `${idPrefix}-rank-help`);
      const name = document.createElement("span");
      name.className = "rank-name";
      name.textContent = item.label;
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = item.ranked;
      box.id = `${idPrefix}-rank-${i}`;
      const boxLabel = document.createElement("label");
      boxLabel.htmlFor = box.id;
      boxLabel.textContent = t("rank_include", { who: item.label });
      boxLabel.className = "rank-include";
      box.addEventListener("change", () => {
        item.ranked = box.checked;
        li.dataset.ranked = String(item.ranked);
        announce(item);
      });
      li.append(
        name,
        button("rank-up", "rank_up", item.label, () => move(i, i - 1, ".rank-up"), i === 0),
        button("rank-down", "rank_down", item.label, () => move(i, i + 1, ".rank-down"), i === order.length - 1),
        box,
        boxLabel,
      );
      li.addEventListener("keydown", (e) => {
        if (e.target !== li || !e.altKey) return;
        if (e.key === "ArrowUp") {
          e.preventDefault();
          move(i, i - 1, "");
        } else if (e.key === "ArrowDown") {
          e.preventDefault();
          move(i, i + 1, "");
        }
      });
      li.addEventListener("dragstart", (e) => {
        dragged = i;
        e.dataTransfer.effectAllowed = "move";
        e.dataTransfer.setData("text/plain", item.id);
      });
      li.addEventListener("dragover", (e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = "move";
      });
      li.addEventListener("drop", (e) => {
        e.preventDefault();
        if (dragged !== null) move(dragged, i, "");
        dragged = null;
      });
      ol.append(li);
    });
  }

  const help = document.createElement("p");
  help.id = `${idPrefix}-rank-help`;
  help.className = "rank-help";
  help.textContent = t("rank_help");
  root.prepend(help);
  draw();
  return { ranking: () => order.filter((x) => x.ranked).map((x) => x.id) };
}
