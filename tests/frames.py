"""Small cleaned and segmented frames for the corpus-wide tests (duplicates, outlet
boilerplate, language, the corpus stage's streaming): a syndicated news story, its rewrite,
and an outlet's chrome."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import polars as pl

from pipeline import schema
from pipeline.text.sentences import split_sentences

STORY = [
    "Passenger trains will return to the coastal line between Port Elspeth and Carrow Head on "
    "Monday, eleven weeks after a landslide buried the track north of Whinny Cove.",
    "Engineers removed more than 40,000 tonnes of earth and rock from the cutting and drove 300 "
    "steel piles into the slope, the rail operator Coastway said on Thursday.",
    "“The cliff above the line is now more stable than it has been for a century,” said the "
    "chief engineer, Hannah Okafor.",
    "During the closure, replacement buses carried about 6,000 passengers a day, and journey "
    "times between the two towns more than doubled at peak hours.",
    "The first train is due to leave Port Elspeth at 05:42, and the full timetable will run from "
    "the first day, with two extra evening services in the first week.",
    "Drainage pipes laid under the new embankment will carry rainwater away from the slope, which "
    "geologists blamed for the slip after the wettest winter on record.",
    "The repairs cost £18.5 million, paid from the national resilience fund rather than from "
    "fares, according to the transport department.",
    "Sensors installed along a two-mile stretch will alert signallers to any movement of the "
    "ground, and trains will slow to 20 mph there for the first month.",
]
LOCAL_ANGLE = (
    "In Whinny Cove itself, shops and the primary school said the closure had cut them off, "
    "with the nearest replacement bus stop a mile and a half up the hill."
)
OTHER = [
    "The library in Northfield will open on Sundays from next month after volunteers offered "
    "to staff the front desk.",
    "Opening hours on weekdays stay the same, and the children's reading club moves to "
    "Saturday mornings.",
]


def cleaned_frame(docs: Sequence[tuple[str, str | None, str | None, str]]) -> pl.DataFrame:
    """A cleaned-table frame from (doc_id, domain, published date or None, text)."""
    rows = []
    for doc_id, domain, day, text in docs:
        published = datetime.fromisoformat(day).replace(tzinfo=UTC) if day else None
        rows.append(
            {
                "doc_id": doc_id,
                "source_path": f"{doc_id}.html",
                "url": f"https://{domain}/{doc_id}" if domain else None,
                "domain": domain,
                "published": published,
                "text": text,
                "n_chars": len(text),
                "n_paragraphs": text.count("\n") + 1,
            }
        )
    return pl.DataFrame(rows, schema=schema.CLEANED)


def segmented_frame(cleaned: pl.DataFrame) -> pl.DataFrame:
    """The segmented table of ``cleaned``: one row per sentence of the real segmenter."""
    rows = []
    columns = ("doc_id", "text", "url", "domain", "title", "published", "language")
    for doc in cleaned.select(columns).iter_rows(named=True):
        text = doc["text"]
        for index, (start, end) in enumerate(split_sentences(text)):
            rows.append(
                {
                    **doc,
                    "sentence_id": f"{doc['doc_id']}-{index:05d}",
                    "sentence_index": index,
                    "paragraph_index": text.count("\n", 0, start),
                    "char_start": start,
                    "char_end": end,
                    "text": text[start:end],
                }
            )
    return pl.DataFrame(rows, schema=schema.SEGMENTED)


def doc_id(n: int) -> str:
    return f"{n:016x}"


def story(*, changed: bool = False, shout: bool = False) -> str:
    text = "\n".join(LOCAL_ANGLE if changed and i == 3 else s for i, s in enumerate(STORY))
    return text.upper().replace(",", " ,") if shout else text


CHROME = "The Bugle is published by Bugle Media Group, registered in Riverside."
TOPICS = [
    "The ferry timetable changes on Monday, with two fewer sailings on weekday mornings.",
    "A new bakery opened on Quay Street, the first on the harbour front in ten years.",
    "The town council approved a budget that raises parking charges by ten pence an hour.",
    "Volunteers cleared four tonnes of litter from the beach at the weekend clean-up.",
    "The lifeboat crew was called out twice on Sunday to swimmers caught by the tide.",
    "Road works on the bypass will close one lane until the end of the month.",
    "The primary school choir won the county competition for the third year running.",
]


def outlet_pages() -> pl.DataFrame:
    """Five pages of one outlet ending with CHROME, the same sentence once on five other
    outlets, and a sixth page of the outlet that is only CHROME."""
    docs = []
    for i in range(5):
        text = f"{TOPICS[i]}\n{TOPICS[(i + 1) % 7]} {CHROME}\nMore on this story soon, we said."
        docs.append((doc_id(100 + i), "riversidebugle.example", f"2024-03-0{i + 1}", text))
    for i in range(5):
        text = f"{TOPICS[i]} {CHROME}"
        docs.append((doc_id(200 + i), f"outlet{i}.example", f"2024-03-0{i + 1}", text))
    docs.append((doc_id(300), "riversidebugle.example", "2024-03-07", CHROME))
    return cleaned_frame(docs)
