// Enterprise fit, the same rule as plugins/examples/enterprise-fit (Rust): an account big enough,
// in one of our territories, with a named champion and a budget signal in the last N days.
import { Input, Verdict, num, run } from "../../../sdk-assemblyscript/baton";

// Declares that this module speaks Baton plugin ABI v1.
export function baton_plugin_abi_v1(): void {}

function describe(): string {
  return '{"name":"enterprise-fit-as","version":"0.1.0","abi":1,' +
    '"summary":"Enterprise account in our territories with a named champion and a recent budget signal",' +
    '"params_schema":{"type":"object","properties":{"min_employees":{"type":"number"},' +
    '"territories":{"type":"array","items":{"type":"string"}},"signals":{"type":"array","items":{"type":"string"}},' +
    '"signal_days":{"type":"number"},"route_to":{"type":"string"}}}}';
}

function evaluate(input: Input): Verdict {
  const p = input.params;
  const minEmployees = p.number("min_employees", 1000);
  const territories = p.strings("territories");
  let signals = p.strings("signals");
  if (p.get("signals") == null) signals = ["pricing_page_view", "demo"];
  const signalDays = p.number("signal_days", 30);
  const v = new Verdict();
  let pass = true;

  const employees = input.lead.attribute("employees");
  if (employees == null || !employees.isNumber) {
    v.missing("employees");
  } else if (employees.num >= minEmployees) {
    v.reason(num(employees.num) + " employees ≥ " + num(minEmployees));
  } else {
    pass = false;
    v.reason(num(employees.num) + " employees < " + num(minEmployees));
  }

  if (territories.length > 0) {
    const country = input.lead.attribute("country");
    if (country == null || !country.isString) {
      v.missing("country");
    } else {
      let inside = false;
      for (let i = 0; i < territories.length; i++) {
        if (territories[i].toUpperCase() == country.str.toUpperCase()) inside = true;
      }
      if (inside) v.reason(country.str + " is in our territories");
      else {
        pass = false;
        v.reason(country.str + " is outside our territories");
      }
    }
  }

  const champion = input.lead.attribute("champion_named");
  if (champion == null || !champion.isBool) {
    v.missing("champion_named");
  } else if (champion.bool) {
    v.reason("champion named");
  } else {
    pass = false;
    v.reason("no champion named");
  }

  let found = -1;
  for (let i = 0; i < input.events.length; i++) {
    const e = input.events[i];
    if (e.ageDays <= signalDays && signals.includes(e.kind)) found = i;
  }
  const budget = input.lead.attribute("budget_confirmed");
  if (found >= 0) {
    const e = input.events[found];
    v.reason("budget signal: " + e.kind + " " + num(Math.round(e.ageDays)) + " days ago");
  } else if (budget != null && budget.isBool && budget.bool) {
    v.reason("budget confirmed");
  } else {
    pass = false;
    v.reason("no budget signal in the last " + num(signalDays) + " days");
  }

  if (!pass) v.pass(false);
  else if (v.missingData.length == 0) {
    v.pass(true);
    const route = p.string("route_to", "");
    if (route.length > 0) v.route(route);
  }
  return v;
}

// Top-level code is the module's start function, exported as `_start` (WASI command).
run(describe, evaluate);
