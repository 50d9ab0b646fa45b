// The what-if page: controls → one JSON request → verdict, purchases, map, redrawn.
// Every request carries the server's token; a later request replaces an earlier one.
"use strict";

const TEXT = {
  en: {
    title: "netplan what-if", base: "Scenario", name: "What-if name", horizon: "Horizon",
    years: "years", policy: "Failure policy", budget: "Budget, CNY a year (empty: the base's)",
    services: "Services", service: "Service", growth: "Growth a year", scale: "Scale",
    network: "Network", click_hint: "Click a link on the map to remove it, a district to fail it.",
    remove_link: "Remove link", fail_node: "Fail node", add_link: "Build link",
    reset: "Undo all changes", keep: "Keep what you found", overwrite: "overwrite",
    save: "Save as scenario", job_report: "Full report", job_routed: "Routed MILP",
    job_simulate: "Simulation", cancel: "Cancel", compare: "Against the base",
    buy: "What to buy", map: "Network map", hottest: "Hottest links",
    at_risk: "Districts at risk", yaml: "The scenario file", computing: "computing…",
    computed: "computed in", meets: "Meets targets", misses: "Misses targets",
    more: "more findings", capex_total: "Capex of the purchases (estimate)",
    nothing: "Buy nothing: the network as it stands is enough.", year: "Year", item: "Item",
    id: "Id", district: "District", tier: "Tier", modules: "Modules",
    capex: "Capex, CNY (estimate)", reason: "Reason", link: "Link", plane: "Plane",
    utilisation: "Worst utilisation", cause: "Cause", what: "", base_col: "Base",
    whatif_col: "What-if", verdict: "Verdict", findings: "Findings", purchases: "Purchases",
    discounted: "Discounted cost, CNY (estimate)", over_before: "Links over target before buying",
    removed: "removed", lost: "lost", built: "built", cut_off: "cut off in a failure",
    over_target: "end of a link over target before buying", none_at_risk: "None.",
    saved: "Saved", run_ready: "Run ready:", open_report: "open the report",
    failed: "failed", cancelled: "cancelled", candidate: "candidate", new_link: "new link",
    undo: "undo", problems: "The what-if cannot be computed:",
    checking_services: "checking what users feel…",
  },
  zh: {
    title: "netplan 假设分析", base: "情景", name: "假设分析名称", horizon: "规划期",
    years: "年", policy: "故障策略", budget: "年度预算（元；留空则沿用基础情景）",
    services: "业务", service: "业务", growth: "年增长率", scale: "倍数",
    network: "网络", click_hint: "在地图上点击链路可将其移除，点击区县可使其失效。",
    remove_link: "移除链路", fail_node: "节点失效", add_link: "新建链路",
    reset: "撤销全部修改", keep: "保存结果", overwrite: "覆盖",
    save: "另存为情景", job_report: "完整报告", job_routed: "路由优化 MILP",
    job_simulate: "仿真", cancel: "取消", compare: "与基础情景对比",
    buy: "采购清单", map: "网络地图", hottest: "负载最高的链路",
    at_risk: "有风险的区县", yaml: "情景文件", computing: "计算中…",
    computed: "计算用时", meets: "达标", misses: "未达标",
    more: "条其他发现", capex_total: "采购建设投资（估算）",
    nothing: "无需采购：现有网络已足够。", year: "年份", item: "类别",
    id: "编号", district: "区县", tier: "档位", modules: "模块数",
    capex: "建设投资（元，估算）", reason: "原因", link: "链路", plane: "平面",
    utilisation: "最高利用率", cause: "原因", what: "", base_col: "基础情景",
    whatif_col: "假设情景", verdict: "结论", findings: "发现", purchases: "采购项",
    discounted: "折现总成本（元，估算）", over_before: "采购前超出目标的链路",
    removed: "已移除", lost: "失效", built: "新建", cut_off: "故障时被切断",
    over_target: "采购前超目标链路的端点", none_at_risk: "无。",
    saved: "已保存", run_ready: "运行完成：", open_report: "打开报告",
    failed: "失败", cancelled: "已取消", candidate: "候选", new_link: "新链路",
    undo: "撤销", problems: "无法计算该假设情景：",
    checking_services: "正在核查用户体验…",
  },
};

const state = {
  token: "", page: "", lang: "zh", init: null, baseInputs: null, seq: 0, shown: 0, base: null,
  edits: null, changedAt: 0, jobTimer: null,
};

function t(key) { return (TEXT[state.lang] || TEXT.en)[key] || key; }
function $(id) { return document.getElementById(id); }
function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}
function money(value) {
  return value === null || value === undefined ? "–" :
    Math.round(value).toLocaleString("en-US");
}
function pct(value) { return value === null || value === undefined ? "–" : (100 * value).toFixed(1) + " %"; }
function nodeName(id) {
  const node = state.init.nodes.find(n => n.id === id);
  if (!node) return id;
  return state.lang === "zh" && node.name_zh ? node.name_zh : node.name;
}

async function api(path, body) {
  const options = {headers: {"X-Netplan-Token": state.token}};
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const reply = await fetch(path, options);
  const data = await reply.json();
  if (!reply.ok) {
    const error = new Error((data.problems || [data.error]).join("\n"));
    error.problems = data.problems || [data.error];
    throw error;
  }
  return data;
}

function freshEdits(key) {
  return {base: key, name: "", horizon_years: null, growth: {}, scale: {}, failure_policy: null,
          remove_links: [], fail_nodes: [], add_links: [], budget_cny_per_year: null};
}

// --- controls ---------------------------------------------------------------------------
function translate() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-t]").forEach(node => { node.textContent = t(node.dataset.t); });
  document.title = t("title");
}

function fillBasePicker() {
  const picker = $("base");
  picker.replaceChildren();
  for (const s of state.init.scenarios) {
    const title = state.lang === "zh" && s.title_zh ? s.title_zh : s.title;
    const option = el("option", `${s.folder}/${s.name}${title ? " — " + title : ""}`);
    option.value = s.key;
    picker.append(option);
  }
  picker.value = state.edits.base;
}

function fillNetworkPickers() {
  const links = $("link-pick"), nodes = $("node-pick"), add = $("add-pick"), tiers = $("add-tier");
  links.replaceChildren(); nodes.replaceChildren(); add.replaceChildren(); tiers.replaceChildren();
  for (const k of state.init.links.filter(k => !k.candidate)) {
    const option = el("option", `${k.id} (${nodeName(k.a)} — ${nodeName(k.b)})`);
    option.value = k.id;
    links.append(option);
  }
  for (const n of state.init.nodes.filter(n => n.kind === "district")) {
    const option = el("option", `${nodeName(n.id)} (${n.id})`);
    option.value = n.id;
    nodes.append(option);
  }
  for (const k of state.init.links.filter(k => k.candidate)) {
    const option = el("option", `${t("candidate")} ${k.id} (${nodeName(k.a)} — ${nodeName(k.b)})`);
    option.value = k.id;
    add.append(option);
  }
  for (const tier of state.init.tiers) {
    const option = el("option", tier);
    option.value = tier;
    tiers.append(option);
  }
}

function fillScenarioControls() {
  const inputs = state.baseInputs, edits = state.edits;
  const horizon = edits.horizon_years ?? inputs.horizon_years;
  $("horizon").value = horizon;
  $("horizon-value").textContent = `${horizon} ${t("years")}`;
  const policy = $("policy");
  policy.querySelectorAll("label").forEach(node => node.remove());
  const chosen = edits.failure_policy ?? inputs.failure_policy;
  for (const name of state.init.policies) {
    const box = el("input");
    box.type = "checkbox"; box.value = name; box.id = `policy-${name}`;
    box.checked = chosen.includes(name);
    box.addEventListener("change", () => {
      const picked = [...policy.querySelectorAll("input:checked")].map(b => b.value);
      state.edits.failure_policy = picked.length ? picked : ["none"];
      changed();
    });
    const label = el("label");
    label.append(box, " " + name);
    policy.append(label);
  }
  $("budget").value = edits.budget_cny_per_year ?? (inputs.budget_cny_per_year ?? "");
  $("name").value = edits.name || `${inputs.name}-whatif`;
  const body = $("services").querySelector("tbody");
  body.replaceChildren();
  for (const s of inputs.services) {
    const row = el("tr");
    const name = el("td", state.lang === "zh" && s.name_zh ? s.name_zh : s.name);
    name.title = s.id;
    const growth = el("input");
    growth.type = "range"; growth.min = "-50"; growth.max = "100"; growth.step = "1";
    growth.id = `growth-${s.id}`;
    const rate = s.id in edits.growth ? edits.growth[s.id] : s.growth_per_year;
    growth.value = Math.round(rate * 100);
    const shown = el("span", `${Math.round(rate * 100)} %`, "value");
    growth.addEventListener("input", () => { shown.textContent = `${growth.value} %`; });
    growth.addEventListener("change", () => {
      state.edits.growth[s.id] = Number(growth.value) / 100;
      changed();
    });
    const scale = el("input");
    scale.type = "number"; scale.min = "0"; scale.max = "1000"; scale.step = "0.1";
    scale.id = `scale-${s.id}`;
    scale.value = state.edits.scale[s.id] ?? 1;
    scale.addEventListener("change", () => {
      const factor = Number(scale.value);
      if (factor === 1) delete state.edits.scale[s.id]; else state.edits.scale[s.id] = factor;
      changed();
    });
    const growthCell = el("td");
    growthCell.append(growth, shown);
    const scaleCell = el("td");
    scaleCell.append(scale);
    row.append(name, growthCell, scaleCell);
    body.append(row);
  }
}

function listChanges() {
  const list = $("changes");
  list.replaceChildren();
  const add = (text, undo) => {
    const item = el("li", text + " ");
    const button = el("button", t("undo"));
    button.type = "button";
    button.addEventListener("click", () => { undo(); changed(); });
    item.append(button);
    list.append(item);
  };
  for (const id of state.edits.remove_links) {
    add(`${t("link")} ${id} ${t("removed")}`,
        () => { state.edits.remove_links = state.edits.remove_links.filter(x => x !== id); });
  }
  for (const id of state.edits.fail_nodes) {
    add(`${nodeName(id)} ${t("lost")}`,
        () => { state.edits.fail_nodes = state.edits.fail_nodes.filter(x => x !== id); });
  }
  state.edits.add_links.forEach((link, index) => {
    add(`${t("link")} ${link.candidate || link.a + "—" + link.b} ${t("built")} (${link.tier})`,
        () => { state.edits.add_links.splice(index, 1); });
  });
}

function toggle(list, id) {
  const at = list.indexOf(id);
  if (at >= 0) list.splice(at, 1); else list.push(id);
}

function wireControls() {
  $("lang").addEventListener("click", () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    translate(); fillBasePicker(); fillNetworkPickers(); fillScenarioControls(); listChanges();
    compute();
  });
  $("base").addEventListener("change", () => startBase($("base").value));
  $("name").addEventListener("change", () => { state.edits.name = $("name").value.trim(); changed(); });
  $("horizon").addEventListener("input", () => {
    $("horizon-value").textContent = `${$("horizon").value} ${t("years")}`;
  });
  $("horizon").addEventListener("change", () => {
    state.edits.horizon_years = Number($("horizon").value);
    changed();
  });
  $("budget").addEventListener("change", () => {
    const value = $("budget").value.trim();
    state.edits.budget_cny_per_year = value === "" ? null : Number(value);
    changed();
  });
  $("link-remove").addEventListener("click", () => {
    toggle(state.edits.remove_links, $("link-pick").value); changed();
  });
  $("node-fail").addEventListener("click", () => {
    toggle(state.edits.fail_nodes, $("node-pick").value); changed();
  });
  $("add-link").addEventListener("click", () => {
    const id = $("add-pick").value;
    if (!id) return;
    state.edits.add_links.push({candidate: id, a: "", b: "", plane: "", tier: $("add-tier").value,
                                modules: 1});
    changed();
  });
  $("reset").addEventListener("click", () => startBase(state.edits.base));
  $("save").addEventListener("click", save);
  for (const kind of ["report", "routed", "simulate"]) {
    $(`job-${kind}`).addEventListener("click", () => startJob(kind));
  }
  $("job-cancel").addEventListener("click", async () => {
    await api("/api/job/cancel", {page: state.page});
    pollJob();
  });
}

function changed() {
  state.changedAt = performance.now();
  listChanges();
  compute();
}

async function startBase(key) {
  state.edits = freshEdits(key);
  state.baseInputs = await api(`/api/base?key=${encodeURIComponent(key)}`);
  fillBasePicker();
  fillScenarioControls();
  listChanges();
  state.changedAt = performance.now();
  compute();
}

// --- computing and drawing --------------------------------------------------------------
async function compute() {
  const seq = ++state.seq;
  const started = state.changedAt || performance.now();
  $("status").textContent = t("computing");
  document.body.dataset.busy = "1";
  let answer;
  try {
    answer = await api("/api/compute", {page: state.page, lang: state.lang, edits: state.edits});
  } catch (error) {
    if (seq !== state.seq) return;
    showProblems(error.problems || [String(error)]);
    $("status").textContent = "";
    delete document.body.dataset.busy;
    document.body.dataset.drawn = String(seq);
    return;
  }
  if (answer.superseded || seq !== state.seq) return;  // a later change is on its way
  await draw(answer);
  state.shown = seq;
  const took = performance.now() - started;
  window.netplanLastRedrawMs = took;
  $("status").textContent = `${t("computed")} ${(took / 1000).toFixed(2)} s`;
  document.body.dataset.drawn = String(seq);
  // Second step: the verdict with the services' closed forms, as `plan` judges it.
  let checked;
  try {
    checked = await api("/api/services", {page: state.page, lang: state.lang});
  } catch (error) {
    if (seq === state.seq) showProblems(error.problems || [String(error)]);
    return;
  }
  if (checked.superseded || seq !== state.seq) return;
  drawVerdict(checked);
  window.netplanLastCheckedMs = performance.now() - started;
  delete document.body.dataset.busy;
  document.body.dataset.checked = String(seq);
}

function showProblems(problems) {
  const box = $("problems");
  box.replaceChildren(el("p", t("problems")));
  const list = el("ul");
  for (const p of problems) list.append(el("li", p));
  box.append(list);
  box.hidden = false;
}

function table(target, columns, rows) {
  const head = el("tr");
  for (const [, label] of columns) head.append(el("th", label));
  const body = rows.map(row => {
    const tr = el("tr");
    for (const [key, , format] of columns) tr.append(el("td", format ? format(row[key], row) : row[key]));
    return tr;
  });
  const thead = el("thead"), tbody = el("tbody");
  thead.append(head); tbody.append(...body);
  target.replaceChildren(thead, tbody);
}

function drawVerdict(answer) {
  const s = answer.summary;
  const box = $("verdict");
  box.className = "verdict " + (s.meets_targets ? "meets" : "misses");
  box.dataset.meets = String(s.meets_targets);
  box.dataset.checked = String(answer.services_checked);
  $("headline").textContent = answer.headline +
    (answer.services_checked ? "" : ` (${t("checking_services")})`);
  const findings = $("findings");
  findings.replaceChildren(...answer.findings.map(line => el("li", line)));
  if (answer.more_findings) findings.append(el("li", `… ${answer.more_findings} ${t("more")}`));

  const b = state.base || {};
  const verdict = v => v === undefined ? "–" : (v ? t("meets") : t("misses"));
  table($("compare"), [["what", ""], ["base", t("base_col")], ["whatif", t("whatif_col")]], [
    {what: t("verdict"), base: verdict(b.meets_targets), whatif: verdict(s.meets_targets)},
    {what: t("findings"), base: b.findings, whatif: s.findings},
    {what: t("purchases"), base: b.purchases, whatif: s.purchases},
    {what: t("capex"), base: money(b.capex_total_cny), whatif: money(s.capex_total_cny)},
    {what: t("discounted"), base: money(b.discounted_total_cny), whatif: money(s.discounted_total_cny)},
    {what: t("over_before"), base: b.links_over_target_before, whatif: s.links_over_target_before},
  ]);
}

async function draw(answer) {
  $("problems").hidden = true;
  const s = answer.summary;
  state.base = answer.base;
  drawVerdict(answer);
  $("capex").textContent = answer.purchases.length ?
    `${t("capex_total")}: ${money(s.capex_total_cny)} CNY` : t("nothing");
  $("capex").dataset.capex = String(s.capex_total_cny);
  $("capex").dataset.purchases = String(answer.purchases.length);
  table($("purchases"), [["year", t("year")], ["item", t("item")], ["id", t("id")],
    ["district", t("district"), v => v ? nodeName(v) : ""], ["tier", t("tier")],
    ["modules", t("modules")], ["capex_cny", t("capex"), money], ["reason", t("reason")]],
    answer.purchases);
  table($("hottest"), [["link", t("link")], ["plane", t("plane")],
    ["worst_utilisation", t("utilisation"), pct],
    ["cause_failure", t("cause"), (v, r) => `${v}, ${r.cause_year} ${String(r.cause_hour).padStart(2, "0")}:00`]],
    answer.hottest);
  const risk = $("at-risk");
  risk.replaceChildren(...answer.at_risk.map(r => el("li", `${nodeName(r.node)} — ${t(r.why)}`)));
  if (!answer.at_risk.length) risk.append(el("li", t("none_at_risk")));
  $("yaml").textContent = answer.scenario_yaml;

  const map = $("map");
  const config = {displaylogo: false, responsive: true, modeBarButtonsToRemove: ["toImage"]};
  await Plotly.react(map, answer.map.data, answer.map.layout, config);
  if (!map.dataset.wired) {
    map.on("plotly_click", event => {
      const tag = event.points && event.points[0] && event.points[0].customdata;
      if (!Array.isArray(tag)) return;
      const [kind, id] = tag;
      if (kind === "link") toggle(state.edits.remove_links, id);
      else if (kind === "node" && state.init.nodes.some(n => n.id === id && n.kind === "district")) {
        toggle(state.edits.fail_nodes, id);
      } else return;
      changed();
    });
    map.dataset.wired = "1";
  }
}

// --- keeping results --------------------------------------------------------------------
async function save() {
  const result = $("save-result");
  try {
    const reply = await api("/api/save", {page: state.page, edits: state.edits,
      file: $("save-name").value.trim(), overwrite: $("save-overwrite").checked});
    result.textContent = `${t("saved")}: ${reply.path}`;
    result.dataset.path = reply.path;
    result.className = "note ok";
  } catch (error) {
    result.textContent = (error.problems || [String(error)]).join("\n");
    result.className = "note bad";
  }
}

async function startJob(kind) {
  try {
    await api("/api/job", {page: state.page, lang: state.lang, kind: kind, edits: state.edits});
  } catch (error) {
    $("job-status").textContent = (error.problems || [String(error)]).join("\n");
    return;
  }
  pollJob();
}

async function pollJob() {
  clearTimeout(state.jobTimer);
  const {job} = await api(`/api/job?page=${encodeURIComponent(state.page)}`);
  const status = $("job-status"), bar = $("job-progress");
  $("job-cancel").disabled = !job || job.state !== "running";
  if (!job) return;
  status.dataset.state = job.state;
  bar.hidden = job.state !== "running";
  if (job.state === "running") {
    bar.value = job.total ? job.done / job.total : 0;
    status.textContent = `${t("job_" + job.kind)}: ${job.stage} ${job.total ? job.done + "/" + job.total : ""} ${job.message} (${job.elapsed_s} s)`;
    state.jobTimer = setTimeout(pollJob, 500);
  } else if (job.state === "done") {
    const r = job.result;
    status.replaceChildren(
      el("span", `${t("job_" + job.kind)}: ${r.meets_targets ? t("meets") : t("misses")}, ` +
                 `${r.purchases} ${t("purchases")}, ${money(r.capex_total_cny)} CNY — ${t("run_ready")} `));
    const link = el("a", t("open_report"));
    link.href = `/runs/${encodeURIComponent(job.run)}/report.html?token=${encodeURIComponent(state.token)}`;
    link.target = "_blank";
    link.rel = "noopener";
    link.id = "job-link";
    status.append(link);
  } else {
    status.textContent = `${t("job_" + job.kind)}: ${t(job.state)} ${job.message || ""}`;
  }
}

async function start() {
  state.token = document.querySelector('meta[name="netplan-token"]').content;
  state.lang = document.documentElement.lang === "en" ? "en" : "zh";
  const wanted = new URLSearchParams(location.search).get("lang");
  if (wanted === "en" || wanted === "zh") state.lang = wanted;
  state.page = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));
  translate();
  state.init = await api("/api/init");
  state.edits = freshEdits(state.init.start);
  fillNetworkPickers();
  wireControls();
  await startBase(state.init.start);
}

document.addEventListener("DOMContentLoaded", start);
