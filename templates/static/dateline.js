/* Dateline: search and filters on the timeline, and copy buttons for citations.
 * Plain JavaScript, no dependencies, nothing loaded from elsewhere. Every page
 * works without it: the year and tag pages are the static fallbacks. */
(function () {
  "use strict";

  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December"];
  var PAGE = 50; // results rendered at a time

  /* ---- text folding: same length in and out, so match positions map back ---- */

  var FOLD = {"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"',
    "\u201e": '"', "\u2033": '"', "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2212": "-", "\u00a0": " "};

  function foldChar(ch) {
    var mapped = FOLD[ch];
    if (mapped !== undefined) return mapped;
    mapped = ch.normalize ? ch.normalize("NFD").charAt(0) : ch;
    var lower = mapped.toLowerCase();
    return lower.length === 1 ? lower : mapped;
  }

  function fold(text) {
    var lower = text.toLowerCase();
    if (lower.length === text.length) { // the usual case: only non-ASCII characters need a look
      return lower.replace(/[^\x00-\x7f]/g, function (ch) {
        var folded = foldChar(ch);
        return folded.length === 1 ? folded : ch;
      });
    }
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var one = foldChar(text.charAt(i));
      out += one.length === 1 ? one : text.charAt(i);
    }
    return out;
  }

  /* Split a query into terms: words, or "exact phrases" in double quotes. */
  function terms(query) {
    var out = [];
    var re = /"([^"]+)"|(\S+)/g;
    var m;
    var folded = fold(query);
    while ((m = re.exec(folded)) !== null) {
      var term = (m[1] || m[2]).replace(/^[.,;:!?()]+|[.,;:!?()]+$/g, "").trim();
      if (term) out.push(term);
    }
    return out;
  }

  /* ---- the finder: search and filters over every event, state in the URL ---- */

  function Finder(form) {
    this.form = form;
    this.status = document.getElementById("finder-status");
    this.results = document.getElementById("finder-results");
    this.recent = document.getElementById("recent");
    this.eventsBase = form.getAttribute("data-events");
    this.total = parseInt(form.getAttribute("data-total"), 10) || 0;
    this.index = null; // promise of the filter index
    this.search = null; // promise of the search text, by event id
    this.run = 0; // discards answers to superseded requests
    this.matches = [];
    this.shown = 0;
  }

  Finder.prototype.start = function () {
    var self = this;
    var form = this.form;
    form.hidden = false;
    var timer = null;
    form.addEventListener("submit", function (e) { e.preventDefault(); self.update(); });
    form.addEventListener("change", function (e) {
      if (e.target.name !== "q") self.update();
    });
    control(form, "q").addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.update(); }, 200);
    });
    // Fetch the indexes as soon as the reader shows an interest, not on every page view.
    form.addEventListener("focusin", function () { self.loadIndex(); });
    control(form, "q").addEventListener("focus", function () { self.loadSearch(); });
    form.querySelector("[data-action=clear]").addEventListener("click", function () {
      form.reset();
      self.update();
      control(form, "q").focus();
    });
    window.addEventListener("popstate", function () { self.restore(); self.update(true); });
    this.restore();
    var filters = document.getElementById("finder-filters");
    var state = this.state();
    // Open on wide screens, and whenever a shared link carries filters; phones start with the list.
    if (filters && (window.matchMedia("(min-width: 64rem)").matches ||
        activeFilters(state) > 0)) filters.open = true;
    this.update(true);
    // The header's "Search" link leads here: put the cursor in the box.
    if (window.location.hash === "#find") control(form, "q").focus();
  };

  /* Set the controls from the URL's query string. */
  Finder.prototype.restore = function () {
    var params = new URLSearchParams(window.location.search);
    var form = this.form;
    form.reset();
    control(form, "q").value = params.get("q") || "";
    var tags = params.getAll("tag");
    Array.prototype.forEach.call(form.querySelectorAll("input[name=tag]"), function (box) {
      box.checked = tags.indexOf(box.value) >= 0;
    });
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
      var value = params.get(select.name);
      if (value !== null && select.querySelector("option[value=\"" + cssEscape(value) + "\"]")) select.value = value;
    });
  };

  /* Read the controls into a state object. */
  Finder.prototype.state = function () {
    var form = this.form;
    var state = {q: value(form, "q").trim(), from: value(form, "from"), to: value(form, "to"),
      group: value(form, "group"), tags: {}, tagList: [], fields: []};
    Array.prototype.forEach.call(form.querySelectorAll("input[name=tag]:checked"), function (box) {
      var group = box.getAttribute("data-group");
      (state.tags[group] = state.tags[group] || []).push(box.value);
      state.tagList.push(box.value);
    });
    Array.prototype.forEach.call(form.querySelectorAll("select[data-field]"), function (select) {
      if (select.value) state.fields.push({name: select.name, column: +select.getAttribute("data-field"), value: select.value});
    });
    return state;
  };

  /* How many filters (not counting the search words) are set. */
  function activeFilters(state) {
    return (state.from ? 1 : 0) + (state.to ? 1 : 0) + (state.group ? 1 : 0) + state.tagList.length +
      state.fields.length;
  }

  function isActive(state) {
    return !!state.q || activeFilters(state) > 0;
  }

  function queryString(state) {
    var params = new URLSearchParams();
    if (state.q) params.append("q", state.q);
    state.tagList.forEach(function (t) { params.append("tag", t); });
    if (state.group) params.append("group", state.group);
    if (state.from) params.append("from", state.from);
    if (state.to) params.append("to", state.to);
    state.fields.forEach(function (f) { params.append(f.name, f.value); });
    var text = params.toString();
    return text ? "?" + text : "";
  }

  Finder.prototype.loadIndex = function () {
    if (!this.index) {
      this.index = fetchJSON(this.form.getAttribute("data-index")).then(function (doc) {
        var tags = doc.tags.map(function (t) { return {id: t[0], name: t[1], group: t[2]}; });
        return doc.events.map(function (row) {
          return {id: row[0], date: row[1], display: row[2], title: row[3], year: parseInt(row[1].slice(0, 4), 10),
            tags: row[4].map(function (i) { return tags[i]; }), fields: row[5], status: row[6]};
        });
      });
    }
    return this.index;
  };

  Finder.prototype.loadSearch = function () {
    if (!this.search) {
      this.search = fetchJSON(this.form.getAttribute("data-search")).then(function (doc) {
        var byId = {};
        doc.events.forEach(function (row) { byId[row[0]] = {text: row[1], folded: null}; });
        return byId;
      });
    }
    return this.search;
  };

  Finder.prototype.update = function (initial) {
    var self = this;
    var state = this.state();
    var query = queryString(state);
    if (!initial && query !== window.location.search) {
      var url = window.location.pathname + query + window.location.hash;
      window.history.replaceState(null, "", url);
    }
    var run = ++this.run;
    var count = document.getElementById("finder-filters-count");
    var set = activeFilters(state);
    if (count) count.textContent = set ? "(" + set + " set)" : "";
    this.form.querySelector("[data-action=clear]").hidden = !isActive(state);
    if (!isActive(state)) {
      this.results.hidden = true;
      this.recent.hidden = false;
      this.say("");
      return;
    }
    this.say("Searching…");
    var wanted = [this.loadIndex(), state.q ? this.loadSearch() : Promise.resolve(null)];
    Promise.all(wanted).then(function (loaded) {
      if (run !== self.run) return;
      self.show(state, filter(loaded[0], loaded[1], state));
    }).catch(function (error) {
      if (run !== self.run) return;
      self.say("The search index could not be loaded (" + error.message + "). The year and tag pages list every event.");
    });
  };

  function filter(events, texts, state) {
    var words = terms(state.q);
    var from = state.from ? parseInt(state.from, 10) : -Infinity;
    var to = state.to ? parseInt(state.to, 10) : Infinity;
    if (from > to) { var swap = from; from = to; to = swap; }
    var groups = Object.keys(state.tags);
    var out = [];
    events.forEach(function (event) {
      if (event.year < from || event.year > to) return;
      var ids = event.tags.map(function (t) { return t.id; });
      for (var g = 0; g < groups.length; g++) {
        if (!state.tags[groups[g]].some(function (id) { return ids.indexOf(id) >= 0; })) return;
      }
      if (state.group && !event.tags.some(function (t) { return t.group === state.group; })) return;
      for (var f = 0; f < state.fields.length; f++) {
        if (event.fields[state.fields[f].column] !== state.fields[f].value) return;
      }
      if (words.length) {
        var entry = texts && texts[event.id];
        if (!entry) return;
        if (entry.folded === null) entry.folded = fold(entry.text);
        for (var w = 0; w < words.length; w++) {
          if (entry.folded.indexOf(words[w]) < 0) return;
        }
        out.push({event: event, entry: entry, words: words});
        return;
      }
      out.push({event: event, entry: null, words: words});
    });
    return out;
  }

  Finder.prototype.say = function (text) {
    if (this.status.textContent !== text) this.status.textContent = text;
  };

  Finder.prototype.show = function (state, matches) {
    this.matches = matches;
    this.shown = 0;
    var box = this.results;
    box.textContent = "";
    var n = matches.length;
    this.say(n === 0 ? "No events match. Try fewer words or filters."
      : n.toLocaleString("en") + " of " + this.total.toLocaleString("en") + " events match" +
        (n > PAGE ? "; the first " + PAGE + " are listed, oldest first." : "."));
    var heading = el("h2", "listing-heading", n ? "Matching events" : "No matching events");
    box.appendChild(heading);
    if (n) {
      this.list = el("ol", "events results");
      box.appendChild(this.list);
      this.more = el("button", "button more", "");
      this.more.type = "button";
      var self = this;
      this.more.addEventListener("click", function () {
        var first = self.renderMore();
        if (first) first.querySelector("a").focus();
      });
      box.appendChild(this.more);
      this.renderMore();
    }
    box.hidden = false;
    this.recent.hidden = true;
  };

  /* Render the next page of matches; return the first new item. */
  Finder.prototype.renderMore = function () {
    var first = null;
    var end = Math.min(this.shown + PAGE, this.matches.length);
    for (var i = this.shown; i < end; i++) {
      var item = this.item(this.matches[i]);
      first = first || item;
      this.list.appendChild(item);
    }
    this.shown = end;
    var left = this.matches.length - end;
    this.more.hidden = left <= 0;
    this.more.textContent = "Show " + Math.min(left, PAGE) + " more (" + left.toLocaleString("en") + " left)";
    return first;
  };

  Finder.prototype.item = function (match) {
    var event = match.event;
    var li = el("li", "event result" + (event.status === "retracted" ? " is-retracted" : ""));
    var date = el("p", "event-date");
    var time = el("time", "", event.display);
    time.setAttribute("datetime", event.date);
    date.appendChild(time);
    li.appendChild(date);
    var body = el("div", "event-body");
    var title = el("h3", "event-title");
    var link = el("a", "", event.title);
    link.href = this.eventsBase + event.id + "/";
    title.appendChild(link);
    if (event.status !== "published") title.appendChild(el("span", "badge", event.status));
    body.appendChild(title);
    if (match.entry) {
      var snippet = snippetOf(match.entry, match.words);
      if (snippet) body.appendChild(snippet);
    }
    if (event.tags.length) {
      var tags = el("ul", "tags");
      tags.setAttribute("aria-label", "Tags");
      event.tags.forEach(function (t) { tags.appendChild(el("li", "tag", t.name)); });
      body.appendChild(tags);
    }
    li.appendChild(body);
    return li;
  };

  /* The line of the event's text (not the title, shown already) holding the most search terms. */
  function bestLine(entry, words) {
    var folded = entry.folded;
    var best = null;
    var start = folded.indexOf("\n") + 1;
    while (start > 0 && start < folded.length) {
      var end = folded.indexOf("\n", start);
      if (end < 0) end = folded.length;
      var line = folded.slice(start, end);
      var score = 0;
      var first = -1;
      words.forEach(function (w) {
        var i = line.indexOf(w);
        if (i >= 0) { score++; if (first < 0 || i < first) first = i; }
      });
      if (score > 0 && (!best || score > best.score)) best = {start: start, end: end, at: start + first, score: score};
      start = end + 1;
    }
    if (best) return best;
    // Only the title matched: show the start of the summary, the second line.
    var s = folded.indexOf("\n") + 1;
    if (s <= 0) return null;
    var e = folded.indexOf("\n", s);
    return {start: s, end: e < 0 ? folded.length : e, at: s, score: 0};
  }

  /* A stretch of that line around the first match, with every term marked. */
  function snippetOf(entry, words) {
    var line = bestLine(entry, words);
    if (!line || line.start >= line.end) return null;
    var text = entry.text;
    var folded = entry.folded;
    var from = Math.max(line.start, line.at - 80);
    var to = Math.min(line.end, Math.max(line.at + 160, from + 220));
    var space = text.indexOf(" ", from);
    if (from > line.start && space >= 0 && space < line.at) from = space + 1;
    var p = el("p", "snippet");
    if (from > line.start) p.appendChild(document.createTextNode("…"));
    var cursor = from;
    while (cursor < to) {
      var next = -1;
      var length = 0;
      words.forEach(function (w) {
        var i = folded.indexOf(w, cursor);
        if (i >= 0 && i < to && (next < 0 || i < next)) { next = i; length = w.length; }
      });
      if (next < 0) break;
      p.appendChild(document.createTextNode(text.slice(cursor, next)));
      p.appendChild(el("mark", "", text.slice(next, Math.min(next + length, to))));
      cursor = next + length;
    }
    if (cursor < to) p.appendChild(document.createTextNode(text.slice(cursor, to)));
    if (to < line.end) p.appendChild(document.createTextNode("…"));
    return p;
  }

  /* ---- citations: copy buttons and today's date ---- */

  function initCitations() {
    var today = new Date();
    var long = today.getDate() + " " + MONTHS[today.getMonth()] + " " + today.getFullYear();
    var iso = today.getFullYear() + "-" + pad(today.getMonth() + 1) + "-" + pad(today.getDate());
    Array.prototype.forEach.call(document.querySelectorAll("[data-accessed]"), function (span) {
      span.textContent = span.getAttribute("data-accessed") === "iso" ? iso : long;
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (block) {
      var button = el("button", "button copy", "Copy");
      button.type = "button";
      var label = block.previousElementSibling ? block.previousElementSibling.textContent : "text";
      button.setAttribute("aria-label", "Copy the " + label.toLowerCase());
      var note = el("span", "copy-status", "");
      note.setAttribute("role", "status");
      button.addEventListener("click", function () {
        copy(block.textContent).then(function () {
          note.textContent = "Copied.";
        }, function () {
          selectText(block);
          note.textContent = "Selected: press Ctrl+C or ⌘C to copy.";
        });
        setTimeout(function () { note.textContent = ""; }, 4000);
      });
      var bar = el("div", "copy-bar");
      bar.appendChild(button);
      bar.appendChild(note);
      block.parentNode.insertBefore(bar, block.nextSibling);
    });
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return Promise.reject(new Error("no clipboard"));
  }

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  /* ---- helpers ---- */

  function el(name, className, text) {
    var node = document.createElement(name);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function control(form, name) { return form.elements.namedItem(name); }

  function value(form, name) {
    var node = control(form, name);
    return node ? node.value : "";
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : value.replace(/["\\]/g, "\\$&");
  }

  function fetchJSON(url) {
    return fetch(url, {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function init() {
    var form = document.getElementById("finder");
    if (form && window.fetch && window.URLSearchParams && window.Promise) new Finder(form).start();
    initCitations();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
