#!/usr/bin/env python3
"""Generate a realistic Dateline site of N events for benchmarks: python bench/make_corpus.py N DIR.

The corpus is seeded and deterministic: the same N and --seed give the same bytes. It follows the
content model of content/ and tests/fixtures/mini/: site.yaml with typed fields, tags.yaml with
groups, events of every date precision with 120-200-word Markdown summaries, 1-3 quotes taken
verbatim (some with omissions, [insertions] and [T]he capitals) from stored source texts of
300-800 words, some drafts, retractions, aliases, updates and related links. `build.py check`
reports no errors on it.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

FIRST_DAY = date(1995, 1, 1)
LAST_DAY = date(2024, 12, 31)

PLACES = [
    ("Sunan, Pyongyang", 39.2, 125.67), ("Sinpo, South Hamgyong Province", 40.03, 128.18),
    ("Uiju, North Pyongan Province", 40.2, 124.53), ("Wonsan, Kangwon Province", 39.15, 127.44),
    ("Hamhung, South Hamgyong Province", 39.92, 127.54), ("Sohae, North Pyongan Province", 39.66, 124.7),
    ("Kusong, North Pyongan Province", 39.98, 125.24), ("Jagang Province", 40.8, 126.6),
    ("Tongchang-ri", 39.66, 124.71), ("Kimchaek, North Hamgyong Province", 40.67, 129.2),
    ("Sukchon, South Pyongan Province", 39.41, 125.63), ("Nampo", 38.73, 125.4),
]
ACTORS = [
    "the Joint Chiefs of Staff", "Japan's Defence Ministry", "the state news agency", "the Foreign Ministry",
    "the Pentagon", "the Unification Ministry", "the UN Security Council", "the State Department",
    "the Academy of Defence Science", "the National Intelligence Service", "the Prime Minister's office",
    "the Missile Administration", "the General Staff", "the coast guard", "the Defence Intelligence Agency",
]
PEOPLE = [
    ("Kim Min-seok", "an analyst at the Korea Institute for Defence Analyses"),
    ("Ankit Panda", "a senior fellow at the Carnegie Endowment"),
    ("Yang Moo-jin", "a professor at the University of North Korean Studies"),
    ("Melissa Hanham", "a researcher on open-source intelligence"),
    ("Park Won-gon", "a professor of North Korean studies at Ewha University"),
    ("Jeffrey Lewis", "a director at the Middlebury Institute"),
    ("Shin Beom-chul", "a researcher at the Korea Research Institute for National Strategy"),
    ("Vipin Narang", "a professor of nuclear security"),
    ("Go Myong-hyun", "a research fellow at the Asan Institute"),
    ("Duyeon Kim", "a senior fellow at the Center for a New American Security"),
]
PUBLISHERS = [
    "Yonhap", "Reuters", "Associated Press", "Agence France-Presse", "KCNA", "NK News", "Kyodo",
    "The Korea Herald", "38 North", "Arms Control Wonk", "The Japan Times", "Rodong Sinmun",
]
WEAPONS = ["KN-23", "KN-24", "KN-25", "Hwasong-12", "Hwasong-14", "Hwasong-15", "Hwasong-17",
           "Hwasong-18", "Pukguksong-3", "Hwasal-2", "Musudan", "Nodong", "Scud-ER"]
TYPES = ["SRBM", "MRBM", "IRBM", "ICBM", "SLBM", "hypersonic", "cruise"]
PLATFORMS = ["rail car", "road-mobile launcher", "submarine", "fixed site", "unknown"]
OUTCOMES = ["success", "failure", "unknown"]
VERBS = ["fired", "launched", "tested", "flew", "sent"]
ADJECTIVES = ["short-range", "solid-fuel", "new", "upgraded", "long-range", "liquid-fuel", "road-mobile"]
OBJECTS = ["ballistic missiles", "cruise missiles", "a long-range rocket", "an engine test",
           "an intermediate-range missile", "two projectiles", "several rockets"]
WATERS = ["the East Sea", "the Sea of Japan", "waters off the east coast", "the Yellow Sea",
          "the sea between the peninsula and Japan"]
REASONS = ["new sanctions", "joint military drills", "a summit in Washington", "talks in Beijing",
           "a UN resolution", "the anniversary of the party's founding", "a visit by the envoy"]
TIMES = ["early on Monday", "on Tuesday morning", "late on Wednesday", "on Thursday",
         "on Friday afternoon", "before dawn on Saturday", "on Sunday"]

SOURCE_SENTENCES = [
    "{actor} said the {adj} missile flew about {km} kilometres and reached an altitude of {alt} kilometres.",
    "The launch from {place} came {time}, hours after {actor} issued a statement criticising {reason}.",
    "{person}, {role}, said the test was meant to show the country could strike targets across the region.",
    "State media said the {weapon} was launched under the guidance of senior officials and struck its target.",
    "It was the {nth} launch this year and the first since {reason} were announced last month.",
    "{actor} said it was analysing the flight data with its allies and would keep a close watch.",
    "Officials in Seoul and Tokyo condemned the launch and called for an emergency meeting of the council.",
    "The missile landed in {water}, outside the exclusive economic zone, according to {actor}.",
    "Analysts said the {weapon} appeared to be a {adj} design that is harder to detect before launch.",
    "The report said the troops moved to the launch site on short notice and {verb} {obj} toward {water}.",
    "{person} said the timing suggested a response to {reason} rather than a scheduled test.",
    "Satellite images taken days earlier showed vehicles and a launch pad being prepared near {place}.",
    "The agency said the test verified the reliability of the guidance system and the engine.",
    "Markets in the region barely moved on the news, which traders said had been widely expected.",
    "The government in Pyongyang has described its weapons programmes as a deterrent against its rivals.",
    "Diplomats said a draft statement was being circulated among members ahead of the vote.",
    "The flight lasted about {minutes} minutes, a defence official told reporters on condition of anonymity.",
    "{actor} said there were reports of debris falling near fishing boats operating in {water}.",
]
SUMMARY_SENTENCES = [
    "North Korea {verb} {obj} from {place} {time}, according to {actor}.",
    "The {weapon} flew about {km} km and reached an apogee of roughly {alt} km before falling into {water}.",
    "The launch followed {reason} and came weeks after a similar test from the same area.",
    "Analysts read the timing as a response to {reason} rather than as part of a routine schedule.",
    "State media described the test as a success and said senior officials had watched it.",
    "Neighbouring governments condemned the launch and asked for consultations with their allies.",
    "The flight profile suggested a {adj} design meant to evade missile defences.",
    "Satellite imagery had shown preparations at the site in the days before the launch.",
    "Officials said they were still analysing the data, and the range figure may be revised.",
    "It was reported as the {nth} launch of the year by the count of {actor}.",
    "Diplomats said the test complicated efforts to restart talks on the programme.",
    "Independent analysts compared the trajectory with earlier flights of the {weapon}.",
]
TITLES = [
    "{weapon} launched from {short}", "Missile test near {short}", "{actor_cap} reports launch into {water}",
    "Statement on {reason}", "Two missiles fired from {short}", "Engine test at {short}",
    "Security Council meets after {weapon} test", "Launch of {obj} from {short}",
]
ORDINALS = ["second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]
OFFSETS = ["+09:00", "+09:00", "+09:00", "Z", "-05:00", "+08:00", "+05:30", "-04:00"]

TAG_GROUPS = {
    "platform": ["rail-launch", "road-mobile", "submarine-launch", "fixed-site", "silo"],
    "type": ["ballistic", "cruise", "hypersonic", "short-range", "medium-range", "intermediate-range",
             "icbm", "slbm", "satellite-launch", "engine-test"],
    "actor": ["north-korea", "south-korea", "united-states", "japan", "china", "russia", "united-nations"],
    "kind": ["launch", "statement", "sanctions", "diplomacy", "exercise", "nuclear-test", "parade",
             "intelligence", "imagery"],
    "region": ["east-sea", "yellow-sea", "pacific", "north-pyongan", "south-hamgyong", "pyongyang"],
}


@dataclass
class Source:
    id: str
    published: date
    sentences: list[list[str]]  # paragraphs of sentences


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and write the corpus."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", type=int, help="number of event files to write")
    parser.add_argument("dir", type=Path, help="folder to create; the site goes in DIR/content/")
    parser.add_argument("--seed", type=int, default=8, help="random seed (default 8)")
    parser.add_argument("--force", action="store_true", help="replace DIR/content if it exists")
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("N must be at least 1")
    content = args.dir / "content"
    if content.exists():
        if not args.force:
            parser.error(f"{content} exists; pass --force to replace it")
        shutil.rmtree(content)
    counts = make_corpus(args.events, args.dir, seed=args.seed)
    print(f"wrote {counts['events']} events, {counts['sources']} sources, {counts['quotes']} quotes "
          f"into {content}", file=sys.stderr)
    return 0


def make_corpus(n: int, root: Path, *, seed: int = 8) -> dict[str, int]:
    """Write a corpus of n events under root/content and return what was written."""
    rng = random.Random(f"dateline-bench-{seed}")
    content = root / "content"
    for folder in ("events", "sources"):
        (content / folder).mkdir(parents=True, exist_ok=True)
    _write(content / "site.yaml", site_yaml(n))
    _write(content / "tags.yaml", tags_yaml())
    sources = make_sources(rng, max(1, n // 5), content / "sources")
    published = [s.published for s in sources]
    quotes = 0
    ids: list[str] = []
    days = sorted(_day(rng) for _ in range(n))
    for i, day in enumerate(days):
        event_id = f"{day.isoformat()}-{rng.choice(['launch', 'test', 'statement', 'report', 'talks'])}-{i + 1:05d}"
        text, quoted = event_yaml(rng, i, day, ids, sources, published)
        _write(content / "events" / f"{event_id}.yaml", text)
        ids.append(event_id)
        quotes += quoted
    return {"events": n, "sources": len(sources), "quotes": quotes}


def site_yaml(n: int) -> str:
    """Return site.yaml with the site's typed fields."""
    return f"""title: Missile tests and responses, {FIRST_DAY.year}-{LAST_DAY.year}
description: >-
  A generated benchmark chronology of {n:,} events: launches, statements, sanctions
  and talks, each sourced and quoted verbatim.
base_url: https://example.org/bench/
language: en
timezone: Asia/Seoul
author: Dateline benchmark
options:
  publish_source_text: false
fields:
  missile_name:
    type: string
    label: Missile
  missile_type:
    type: string
    label: Missile type
    values: [{", ".join(TYPES)}]
    filter: true
  launch_platform:
    type: string
    label: Launch platform
    values: [{", ".join(PLATFORMS)}]
    filter: true
  count:
    type: integer
    label: Missiles fired
  apogee_km:
    type: number
    label: Apogee
    unit: km
  range_km:
    type: number
    label: Range
    unit: km
  outcome:
    type: string
    label: Outcome
    values: [{", ".join(OUTCOMES)}]
    filter: true
  confirmed:
    type: boolean
    label: Confirmed by state media
  announced:
    type: date
    label: Announced
"""


def tags_yaml() -> str:
    """Return tags.yaml: every tag with a name, a description and its group."""
    lines = []
    for group, tags in TAG_GROUPS.items():
        lines.append(f"# {group}")
        for tag in tags:
            name = tag.replace("-", " ").capitalize()
            lines.append(f"{tag}:\n  name: {name}\n  description: Events about {name.lower()}.\n  group: {group}")
    return "\n".join(lines) + "\n"


def make_sources(rng: random.Random, count: int, folder: Path) -> list[Source]:
    """Write count sources (a .yaml and a sibling .txt each), sorted by publication date."""
    sources = []
    # Sources run a year past the last event, so every event has later reporting to quote.
    span = (LAST_DAY - FIRST_DAY).days + 365
    dates = sorted(FIRST_DAY + timedelta(days=rng.randrange(span)) for _ in range(count))
    for i, published in enumerate(dates):
        publisher = rng.choice(PUBLISHERS)
        source_id = f"{publisher.lower().replace(' ', '-').replace('.', '')}-{published.isoformat()}-{i + 1:04d}"
        paragraphs, words = [], 0
        target = rng.randint(300, 800)
        while words < target:
            paragraph = []
            for _ in range(rng.randint(2, 4)):
                sentence = _fill(rng, rng.choice(SOURCE_SENTENCES))
                if words + len(sentence.split()) > 800:
                    break
                paragraph.append(sentence)
                words += len(sentence.split())
            if not paragraph:
                break
            paragraphs.append(paragraph)
        source = Source(source_id, published, paragraphs)
        sources.append(source)
        accessed = published + timedelta(days=rng.randint(0, 400))
        slug = source_id.rsplit("-", 1)[0]
        lines = [
            f"title: {_q(_fill(rng, rng.choice(TITLES)))}",
            f"publisher: {publisher}",
            f"author: {rng.choice(PEOPLE)[0]}" if rng.random() < 0.6 else "",
            f"published: {published.isoformat()}",
            f"accessed: {accessed.isoformat()}",
            f"url: https://news.example.com/{published.year}/{slug}",
            f"archive_url: https://web.archive.org/web/{published.year}/https://news.example.com/{slug}"
            if rng.random() < 0.97 else "",
            "language: en",
        ]
        _write(folder / f"{source_id}.yaml", "\n".join(line for line in lines if line) + "\n")
        dateline = rng.choice(["SEOUL", "TOKYO", "WASHINGTON", "PYONGYANG", "BEIJING"])
        body = "\n\n".join(" ".join(p) for p in paragraphs)
        if i % 2:  # half the sources are typeset with curly apostrophes; quotes keep straight ones
            body = body.replace("'", "\u2019")
        _write(folder / f"{source_id}.txt", f"{dateline}: {body}\n")
    return sources


def event_yaml(rng: random.Random, i: int, day: date, earlier: list[str], sources: list[Source],
               published: list[date]) -> tuple[str, int]:
    """Return one event file's text and the number of quotes in it."""
    precision = rng.random()
    circa = False
    if precision < 0.08:
        when, circa = str(day.year), rng.random() < 0.5
    elif precision < 0.2:
        when = f"{day.year}-{day.month:02d}"
    elif precision < 0.75:
        when = day.isoformat()
    else:
        seconds = f":{rng.randrange(60):02d}" if rng.random() < 0.2 else ""
        when = f"{day.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}{seconds}{rng.choice(OFFSETS)}"
    lines = [f"date: {when}"]
    if precision >= 0.2 and precision < 0.75 and rng.random() < 0.08:
        lines.append(f"end_date: {(day + timedelta(days=rng.randint(1, 20))).isoformat()}")
    if circa:
        lines.append("circa: true")
    lines.append(f"title: {_q(_fill(rng, rng.choice(TITLES)))}")
    lines.append("summary: |")
    lines.extend("  " + line if line else "" for line in summary(rng).split("\n"))
    tags = rng.sample(TAG_GROUPS["kind"], 1) + rng.sample(
        TAG_GROUPS["type"] + TAG_GROUPS["platform"] + TAG_GROUPS["actor"] + TAG_GROUPS["region"], rng.randint(0, 4))
    lines.append(f"tags: [{', '.join(tags)}]")
    if rng.random() < 0.7:
        lines.append("details:")
        lines.append(f"  missile_name: {rng.choice(WEAPONS)}")
        lines.append(f"  missile_type: {rng.choice(TYPES)}")
        if rng.random() < 0.8:
            lines.append(f"  launch_platform: {rng.choice(PLATFORMS)}")
        lines.append(f"  count: {rng.randint(1, 8)}")
        if rng.random() < 0.7:
            lines.append(f"  apogee_km: {rng.choice([rng.randint(20, 6000), round(rng.uniform(20, 900), 1)])}")
            lines.append(f"  range_km: {rng.randint(100, 1200)}")
        lines.append(f"  outcome: {rng.choice(OUTCOMES)}")
        lines.append(f"  confirmed: {rng.choice(['true', 'false'])}")
        if rng.random() < 0.5:
            lines.append(f"  announced: {(day + timedelta(days=rng.randint(0, 2))).isoformat()}")
    if rng.random() < 0.4:
        name, lat, lon = rng.choice(PLACES)
        lines += ["location:", f"  name: {name}", f"  lat: {lat}", f"  lon: {lon}"]
    # Quote reporting published on or after the event, preferably within two years of it.
    lo = bisect_left(published, day)
    hi = max(lo + 1, bisect_left(published, day + timedelta(days=730)))
    pool = sources[lo:min(hi, len(sources))] or sources[-1:]
    cited = rng.sample(pool, min(len(pool), rng.randint(1, 2)))
    lines.append("quotes:")
    count = rng.randint(1, 3)
    for k in range(count):
        source = cited[k % len(cited)]
        text, speaker = quote_from(rng, source)
        lines.append(f"  - text: {_q(text)}")
        lines.append(f"    source: {source.id}")
        if speaker:
            lines.append(f"    speaker: {_q(speaker)}")
        if rng.random() < 0.1:
            lines.append(f"    note: {_q('Translated by the agency; wording as published.')}")
    if rng.random() < 0.5:
        extra = rng.sample(sources, 1)[0] if lo >= len(sources) else rng.choice(sources[lo:])
        lines.append(f"sources: [{extra.id}]")
    if earlier and rng.random() < 0.6:
        picks = {earlier[max(0, len(earlier) - 1 - rng.randrange(min(len(earlier), 40)))]
                 for _ in range(rng.randint(1, 3))}
        lines.append("related:")
        lines.extend(f"  - {p}" for p in sorted(picks))
    roll = rng.random()
    if roll < 0.03:
        lines.append("status: draft")
    elif roll < 0.04:
        lines.append("status: retracted")
    if rng.random() < 0.05:
        lines += ["updates:", f"  - date: {(day + timedelta(days=rng.randint(1, 90))).isoformat()}",
                  f"    note: {_q('Corrected the range after ' + rng.choice(ACTORS) + ' revised its figure.')}"]
    if rng.random() < 0.01:
        lines.append(f"aliases: [{day.isoformat()}-old-{i + 1:05d}]")
    return "\n".join(lines) + "\n", count


def summary(rng: random.Random) -> str:
    """Return a 120-200-word Markdown summary in two or three paragraphs."""
    link = rng.random() < 0.3
    ceiling = 195 if link else 200  # the link line adds about five words
    target = rng.randint(120, ceiling)
    sentences, words = [], 0
    templates: list[str] = []
    while True:
        if not templates:  # each template once before any repeats
            templates = rng.sample(SUMMARY_SENTENCES, len(SUMMARY_SENTENCES))
        sentence = _fill(rng, templates.pop())
        n = len(sentence.split())
        if words + n > target and words >= 120:
            break
        if words + n > ceiling:
            continue
        sentences.append(sentence)
        words += n
    # A little Markdown: emphasis, a link, sometimes a list.
    sentences[0] = sentences[0].replace("North Korea", "**North Korea**", 1)
    if len(sentences) > 2:
        first = sentences[1].split(" ", 1)
        sentences[1] = f"*{first[0]}* {first[1]}" if len(first) == 2 else sentences[1]
    cut = max(1, len(sentences) // 2)
    paragraphs = [_wrap(" ".join(sentences[:cut])), _wrap(" ".join(sentences[cut:]))]
    if link:
        paragraphs.append(f"See the [{rng.choice(PUBLISHERS)} report](https://news.example.com/{rng.randrange(10**6)}).")
    return "\n\n".join(paragraphs)


def quote_from(rng: random.Random, source: Source) -> tuple[str, str]:
    """Take a verbatim passage from a source: a plain run, an omission, an [insertion] or a [C]apital."""
    sentence = rng.choice([s for p in source.sentences for s in p if len(s.split()) >= 12])
    words = sentence.split()
    kind = rng.random()
    if kind < 0.15 and len(words) >= 14:  # two runs joined by an omission
        a = rng.randint(0, 2)
        first = words[a:a + rng.randint(4, 5)]
        b = a + len(first) + rng.randint(2, 4)
        text = " ".join(first) + " ... " + " ".join(words[b:b + rng.randint(4, 6)])
    elif kind < 0.25:  # the first words replaced by an editorial insertion
        skip = rng.randint(1, 3)
        text = "[the report] " + " ".join(words[skip:skip + rng.randint(6, 10)])
    elif kind < 0.32 and words[0][0].isupper() and words[0][0].isalpha():  # [T]he as a quote starts mid-sentence
        run = " ".join(words[:rng.randint(6, 12)])
        text = f"[{run[0].lower()}]{run[1:]}"
    else:
        start = rng.randint(0, max(0, len(words) - 8))
        text = " ".join(words[start:start + rng.randint(6, 16)])
    if len(text.split()) < 4:
        text = " ".join(words[:8])
    speaker = ""
    if rng.random() < 0.3:
        person, role = rng.choice(PEOPLE)
        speaker = f"{person}, {role} (as reported)"
    return text, speaker


def _fill(rng: random.Random, template: str) -> str:
    place = rng.choice(PLACES)[0]
    person, role = rng.choice(PEOPLE)
    actor = rng.choice(ACTORS)
    text = template.format(
        actor=actor, actor_cap=actor[0].upper() + actor[1:], adj=rng.choice(ADJECTIVES),
        km=rng.randint(80, 1500), alt=rng.randint(20, 6000), place=place, short=place.split(",")[0],
        time=rng.choice(TIMES), reason=rng.choice(REASONS), person=person, role=role,
        weapon=rng.choice(WEAPONS), nth=rng.choice(ORDINALS), water=rng.choice(WATERS),
        verb=rng.choice(VERBS), obj=rng.choice(OBJECTS), minutes=rng.randint(5, 70),
    )
    return text[0].upper() + text[1:]


def _day(rng: random.Random) -> date:
    return FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))


def _wrap(text: str, width: int = 96) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join(lines + [line])


def _q(text: str) -> str:
    """Quote a string for YAML (a JSON string is a valid YAML double-quoted scalar)."""
    return json.dumps(text, ensure_ascii=False)


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


if __name__ == "__main__":
    sys.exit(main())
