"""An answer as terminal text: the answer, its numbered citations (document, region, page) and the
passages it was read from, with the DIH catalogue hubs each passage names."""
from __future__ import annotations

from nlp.text import passage_language
from qa.citations import page_label, region_label
from qa.types import Answer


def render_answer(answer: Answer, catalogue=None) -> str:
    """:param catalogue: a ``HubCatalogue``; when given, each source lists the hubs it names."""
    metas = {p.id: p.meta for p in answer.passages}
    lines = [answer.text, ""]
    if answer.language_note:
        lines += [f"({' '.join(x for x in (answer.language_note, answer.translation_note) if x)})", ""]
    if answer.citations:
        lines.append("Citations:")
        for c in answer.citations:
            where = page_label(metas.get(c.passage_id, {}), c.page, section=c.section)
            lines.append(f"  [{c.n}] {c.title} — {region_label(c.region) or c.country}, {where} ({c.doc_id})")
        lines.append("")
    lines.append("Sources:")
    for rank, p in enumerate(answer.passages, start=1):
        m = p.meta
        snippet = " ".join((p.content or "").split())[:160]
        lang = passage_language(m)
        lines.append(f"  {rank}. {m.get('title', '')} ({m.get('doc_type', '')}, {region_label(m.get('region', ''))}), "
                     f"{page_label(m)}{f' [{lang}]' if lang else ''}: {snippet}...")
        hubs = catalogue.hubs_in_passage(p) if catalogue is not None else []
        if hubs:
            lines.append("     hubs in the DIH catalogue: " + "; ".join(f"{h.name} ({h.id})" for h in hubs)
                         + "  -> ris3 hubs show ID")
    lines.append(f"\n({answer.elapsed_ms:.0f} ms)")
    return "\n".join(lines)
