/* The editors' admin (/admin/, /en/admin/): Decap CMS, self-hosted, with the hub's YAML format
   and its time widget. Loaded before decap-cms.js: it asks Decap to wait, and once the page's
   scripts have run it registers both and starts the CMS (tourhub/site/admin_site.py writes the
   page; its configuration is generated from the Table Schemas, tourhub/editors/admin_config.py).

   The format writes the repository's style, which the strict loader (tourhub/check/load.py)
   accepts: block YAML as PyYAML writes it, strings quoted only where a YAML 1.1 reader would
   take them for something else (codes such as '510000', yes/no, dates outside date fields),
   no anchors, empty fields left out, a file's leading comment kept. */
(function () {
  "use strict";
  window.CMS_MANUAL_INIT = true;

  var oneOrList = {};
  var plainDates = {};
  var RECORDS = "records";
  var HEADER = "_header";   // a file's leading comment lines, kept across a save

  /* ---- reading ---- */

  function leadingComment(text) {
    var lines = text.split("\n"), kept = [];
    for (var i = 0; i < lines.length && /^\s*#/.test(lines[i]); i++) kept.push(lines[i]);
    return kept.length ? kept.join("\n") + "\n" : "";
  }

  function asLists(value) {
    // a stop's `leg` may be one mapping or a list of them; the form always shows a list
    if (Array.isArray(value)) return value.map(asLists);
    if (value && typeof value === "object") {
      var out = {};
      Object.keys(value).forEach(function (key) {
        var item = value[key];
        out[key] = oneOrList[key] && item && typeof item === "object" && !Array.isArray(item)
          ? [asLists(item)] : asLists(item);
      });
      return out;
    }
    return value;
  }

  function fromFile(text) {
    var data = window.jsyaml.load(text, { schema: window.jsyaml.CORE_SCHEMA }) || {};
    data = Array.isArray(data) ? { records: data } : data;
    data = asLists(data);
    var header = leadingComment(text);
    if (header) data[HEADER] = header;
    return data;
  }

  /* ---- writing ---- */

  function isEmpty(value) {
    return value === null || value === undefined || value === "" ||
      (Array.isArray(value) && value.length === 0) ||
      (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0);
  }

  function pruned(value) {
    // empty fields are left out, as editors write them; a one-item `leg` is written as one mapping
    if (Array.isArray(value)) return value.map(pruned).filter(function (v) { return !isEmpty(v); });
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    if (value && typeof value === "object") {
      var out = {};
      Object.keys(value).forEach(function (key) {
        var item = pruned(value[key]);
        if (oneOrList[key] && Array.isArray(item) && item.length === 1) item = item[0];
        if (!isEmpty(item)) out[key] = item;
      });
      return out;
    }
    return typeof value === "string" && value.trim() === "" ? "" : value;
  }

  var YAML11_OTHER = [
    /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,  // booleans
    /^(?:~|null|Null|NULL|<<|=)$/,
    /^[-+]?[0-9_.:,]*[0-9][0-9_.:,eE+-]*$/,          // every kind of number, 0-prefixed and 1:20 included
    /^[-+]?0[xXoObB][0-9a-fA-F_]+$/,
    /^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$/,
    /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/                 // timestamps
  ];
  var SPECIAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff\u202a-\u202e\u2066-\u2069]/;

  function plainAllowed(text, key) {
    if (text === "" || text !== text.trim() || /[\n\r\t]/.test(text) || SPECIAL.test(text)) return false;
    if (/^[-?:,\[\]{}#&*!|>'"%@`]/.test(text) || /: | #|:$/.test(text)) return false;
    if (plainDates[key] && /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text)) return true;
    return !YAML11_OTHER.some(function (pattern) { return pattern.test(text); });
  }

  function scalar(value, key) {
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    var text = String(value);
    if (plainAllowed(text, key)) return text;
    if (!/[\n\r\t\\]/.test(text) && !SPECIAL.test(text)) return "'" + text.replace(/'/g, "''") + "'";
    return JSON.stringify(text);      // a JSON string is a YAML double-quoted scalar
  }

  function isScalar(value) {
    return value === null || typeof value !== "object";
  }

  function mapping(object, indent, order) {
    var keys = Object.keys(object);
    if (order) {
      keys.sort(function (a, b) {
        var i = order.indexOf(a), j = order.indexOf(b);
        return (i < 0 ? order.length : i) - (j < 0 ? order.length : j);
      });
    }
    return keys.map(function (key) {
      var value = object[key];
      if (isScalar(value)) return indent + key + ": " + scalar(value, key) + "\n";
      if (Array.isArray(value)) return indent + key + ":\n" + sequence(value, indent, key);
      return indent + key + ":\n" + mapping(value, indent + "  ");
    }).join("");
  }

  function sequence(items, indent, key) {
    return items.map(function (item) {
      if (isScalar(item)) return indent + "- " + scalar(item, key) + "\n";
      if (Array.isArray(item)) return indent + "-\n" + sequence(item, indent + "  ", key);
      var body = mapping(item, indent + "  ");
      return indent + "- " + body.slice(indent.length + 2);
    }).join("");
  }

  function toFile(data, sortedKeys) {
    var header = data[HEADER] || "";
    var body = {};
    Object.keys(data).forEach(function (key) { if (key !== HEADER) body[key] = data[key]; });
    var keys = Object.keys(body);
    if (keys.length === 1 && keys[0] === RECORDS && Array.isArray(body[RECORDS])) {
      return header + sequence(pruned(body[RECORDS]), "", "");
    }
    return header + mapping(pruned(body), "", sortedKeys && sortedKeys.length ? sortedKeys : null);
  }

  /* ---- a time as a notice states it ---- */

  var MOMENT = /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?(Z|[+-][0-9]{2}:[0-9]{2})?)?$/;
  var DAY_MS = 86400000;
  var CHINA_OFFSET_MS = 8 * 3600000;

  // [start, end] in ms: a day alone is that whole day, China time (tourhub/core/dates.py Moment)
  function momentOf(text) {
    var parts = MOMENT.exec(String(text || "").trim());
    if (!parts) return null;
    if (!parts[4]) {
      var start = Date.UTC(+parts[1], +parts[2] - 1, +parts[3]) - CHINA_OFFSET_MS;
      return { start: start, end: start + DAY_MS };
    }
    if (!parts[7]) return null;
    var instant = Date.parse(String(text).trim());
    return isNaN(instant) ? null : { start: instant, end: instant };
  }

  function filled(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) { return values[name] || ""; });
  }

  function momentControl() {
    return window.createClass({
      handleChange: function (event) { this.props.onChange(event.target.value); },
      // Decap re-renders a widget only when its own value changes; this one is checked against
      // another field, so it takes every new state of the entry (else it would compare with a stale one)
      shouldComponentUpdate: function (next) {
        return next.value !== this.props.value || next.entry !== this.props.entry ||
          next.classNameWrapper !== this.props.classNameWrapper || next.hasActiveStyle !== this.props.hasActiveStyle;
      },
      isValid: function () {
        var value = this.props.value, field = this.props.field;
        var after = field.get("after"), data = this.props.entry && this.props.entry.get("data");
        if (!value || !after || !data) return true;
        var earlier = after.toArray().map(function (name) { return data.get(name); })
          .filter(function (text) { return text; })[0];
        var mine = momentOf(value), theirs = momentOf(earlier);
        if (mine && theirs && mine.end <= theirs.start) {
          return { error: { message: filled(field.get("order_message"), { expires: value, effective: earlier }) } };
        }
        return true;
      },
      render: function () {
        return window.h("input", {
          type: "text", id: this.props.forID, className: this.props.classNameWrapper,
          value: this.props.value || "", onChange: this.handleChange, spellCheck: false,
          placeholder: "2025-06-30T10:30:00+08:00", autoComplete: "off",
          onFocus: this.props.setActiveStyle, onBlur: this.props.setInactiveStyle
        });
      }
    });
  }

  /* ---- start ---- */

  function localPort() {
    // `make edit` may run decap-server on another port: /admin/?port=8082 (on this computer only)
    var port = new URLSearchParams(window.location.search).get("port");
    var local = /^(127\.0\.0\.1|localhost)$/.test(window.location.hostname);
    return local && port && /^[0-9]{2,5}$/.test(port) ? port : null;
  }

  // what the format needs to know of the schemas (tourhub/editors/admin_config.py admin_settings)
  function configure(given) {
    (given.one_or_list || []).forEach(function (key) { oneOrList[key] = true; });
    (given.plain_dates || []).forEach(function (key) { plainDates[key] = true; });
    RECORDS = given.records || RECORDS;
  }

  function start() {
    var element = document.getElementById("hub-admin-settings");
    var settings = element ? JSON.parse(element.textContent) : {};
    configure(settings);
    var local = /^(127\.0\.0\.1|localhost)$/.test(window.location.hostname);
    if (!window.CMS || !window.jsyaml || (!local && !settings.repository)) {
      document.getElementById("hub-admin-missing").hidden = false;
      return;
    }
    window.CMS.registerCustomFormat(settings.format || "hub-yaml", "yaml", { fromFile: fromFile, toFile: toFile });
    window.CMS.registerWidget(settings.moment_widget || "hub-moment", momentControl());
    // the configuration is read here, not by Decap: Decap ignores a config.yml that a host
    // serves without a YAML content type once a configuration is passed to it
    fetch("config.yml", { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("config.yml: " + response.status);
      return response.text();
    }).then(function (text) {
      var config = window.jsyaml.load(text, { schema: window.jsyaml.CORE_SCHEMA });
      var port = localPort();
      if (port) config.local_backend = { url: "http://127.0.0.1:" + port + "/api/v1" };
      config.load_config_file = false;
      window.CMS.init({ config: config });
    });
  }

  // exposed for the tests, which run the same functions on the shipped files
  window.hubAdminFormat = { fromFile: fromFile, toFile: toFile, configure: configure };

  document.addEventListener("DOMContentLoaded", start);
})();
