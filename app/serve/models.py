"""The API's request and response models (pydantic), so that /docs and /openapi.json show every
endpoint's fields and types. Requests forbid unknown fields (a misspelt filter is a 400, not a
filter silently left out); responses allow extra fields, so a field a lower layer adds passes
through instead of being dropped."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.cli.common import FILTER_HELP
from qa.service import MAX_TOP_K

GroupField = Literal["doc", "region", "country", "doc_type", "language", "year"]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Response(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- requests ---------------------------------------------------------------------------------
class FilterFields(Request):
    """The filters of ``ris3 ask`` (``--region`` ... ``--tag``)."""

    region: str | None = Field(None, description=FILTER_HELP["region"])
    country: str | None = Field(None, description=FILTER_HELP["country"])
    doc_type: str | None = Field(None, description=FILTER_HELP["doc_type"])
    language: str | None = Field(None, description=FILTER_HELP["language"])
    year: str | None = Field(None, description=FILTER_HELP["year"])
    doc_id: str | None = Field(None, description=FILTER_HELP["doc_id"])
    tag: str | None = Field(None, description=FILTER_HELP["tag"])

    def filter_values(self) -> dict[str, str | None]:
        return {k: getattr(self, k) for k in FilterFields.model_fields}


class AskRequest(FilterFields):
    question: str = Field(..., description="The question, in any language (at most 2,000 characters).")
    top_k: int | None = Field(None, ge=1, le=MAX_TOP_K, description="Passages to return (default 8, or $RIS3_TOP_K).")


class PassagesQuery(FilterFields):
    q: str | None = Field(None, description="Search text: passages ranked as for a question. "
                                            "Without it, the stored passages in index order.")
    page: int = Field(1, ge=1, description="Page number, from 1.")
    page_size: int = Field(20, ge=1, le=MAX_TOP_K, description="Passages per page.")


class KeywordReportQuery(FilterFields):
    terms: str | None = Field(None, description="Concept ids or free phrases, comma-separated "
                                                "(default: the lexicon's support-structure concepts).")
    by: list[GroupField] = Field(["doc"], description="Group rows by this field; give it twice for a matrix.")
    examples: int = Field(3, ge=0, le=100, description="Keyword-in-context examples kept per cell.")


class KwicQuery(FilterFields):
    query: str = Field(..., description="A concept id (e.g. support.living_lab) or a free phrase.")
    window: int = Field(8, ge=1, le=100, description="Words of context on each side.")
    limit: int | None = Field(None, ge=1, description="At most this many lines.")


class ProfileQuery(Request):
    answers: bool = Field(True, description="Include the EDP and digitalisation answers.")


class HubsQuery(Request):
    q: str = Field("", description="A hub name or acronym (DIGIMAT), else text; empty lists the hubs.")
    country: str | None = Field(None, description="Country as the catalogue writes it, e.g. Lithuania.")
    sector: str | None = Field(None, description="Part of a sector name.")
    city: str | None = Field(None, description="Part of the city name.")
    limit: int = Field(20, ge=1, le=10000)


class FundingQuery(Request):
    region: str | None = Field(None, description="A region name or NUTS code, as for profiles.")
    country: str | None = Field(None, description="All programmes of a country (PL, CZ, LT, GR/EL, UK).")
    cci: str | None = Field(None, description="Programme CCI code(s), comma-separated.")
    fund: str | None = Field(None, description="Only these funds: ERDF, ESF, CF, YEI, EAFRD, EMFF (comma = any of).")
    to: str | None = Field(None, description="Only these thematic objectives: 01-11, TA (comma = any of).")
    by: str = Field("programme,fund,to", description="Sum by: programme, fund, to, category, priority, country.")


# -- responses --------------------------------------------------------------------------------
class ErrorResponse(BaseModel):
    error: str = Field(..., description="What is wrong, in one line.")


class Health(Response):
    status: Literal["ready"]
    index: str
    documents: int
    passages: int
    chroma: str = Field(..., description="'embedded' or the Chroma server's URL.")
    warm_up_s: float


class CitationModel(Response):
    n: int
    doc_id: str
    title: str
    region: str
    country: str
    doc_type: str
    page: int | None
    sentence: str
    passage_id: str
    span: list[int]
    page_offset: int | None
    language: str = ""
    file: str = ""
    section: str = ""


class DataCitationModel(Response):
    n: str
    dataset: str
    file: str
    record: str
    lines: list[int]
    key: str = ""
    kind: str = "data"


class DataAnswerModel(Response):
    intent: str
    text: str
    rows: list[dict[str, Any]]
    citations: list[DataCitationModel]


class HubRef(Response):
    id: str
    name: str


class PassageModel(Response):
    rank: int
    id: str
    doc_id: str
    title: str
    file: str
    doc_type: str
    region: str
    country: str
    language: str
    page_start: int | None
    page_end: int | None
    text: str | None
    score: float
    hubs: list[HubRef] | None = Field(None, description="Catalogue hubs the passage names (answers only).")


class AskResponse(Response):
    """The JSON of ``ris3 ask --json`` (docs/cli.md)."""

    id: str | int | None
    question: str
    answer: str
    answered: bool
    missing_terms: list[str]
    absent: dict[str, Any] | None
    data_answer: DataAnswerModel | None
    question_language: str
    answer_languages: list[str]
    language_note: str
    translations: list[dict[str, Any]]
    citations: list[CitationModel]
    nearest: list[CitationModel]
    passages: list[PassageModel]
    elapsed_ms: float


class AskText(Response):
    text: str = Field(..., description="What 'ris3 ask' prints for the question.")


class PassagePage(Response):
    mode: Literal["list", "search"]
    page: int
    page_size: int
    total: int | None = Field(..., description="Passages passing the filters (list mode); null for a search.")
    passages: list[PassageModel]


class DocumentRow(Response):
    doc_id: str
    title: str
    doc_type: str
    region: str
    country: str
    language: str
    year: str | int | None
    pages: int
    passages: int
    status: str
    reason: str
    file: str
    tag_counts: dict[str, Any] = {}
    domain_shares: dict[str, Any] = {}


class DocumentList(Response):
    count: int
    documents: list[DocumentRow]


class KwicLineModel(Response):
    term: str
    left: str
    match: str
    right: str
    doc_id: str
    title: str
    region: str
    country: str
    doc_type: str
    page: int | None
    where: str
    passage_id: str
    start: int
    end: int
    page_offset: int | None = None


class KwicResponse(Response):
    query: str
    count: int
    lines: list[KwicLineModel]


class TermModel(Response):
    id: str
    label: str
    phrase: str | None


class ReportExamples(Response):
    group: list[str]
    term: str
    lines: list[KwicLineModel]


class KeywordReportResponse(Response):
    about: dict[str, Any]
    by: list[str]
    terms: list[TermModel]
    rows: list[dict[str, Any]] = Field(..., description="group field(s), term, label, count, per_10k_words, ...")
    examples: list[ReportExamples]


class StatementModel(Response):
    text: str
    cites: list[str]
    fact: str = ""


class SectionModel(Response):
    id: str
    title: str
    note: str
    statements: list[StatementModel]
    table: list[dict[str, Any]]


class ProfileRegion(Response):
    name: str
    nuts: str
    country: str
    names: list[str]
    documents: list[str]
    shared_documents: list[str]


class ProfileCitation(CitationModel):
    kind: str = "text"


class ProfileResponse(Response):
    region: ProfileRegion
    documents: list[dict[str, Any]]
    sections: list[SectionModel]
    citations: list[ProfileCitation]
    data_citations: list[DataCitationModel]
    about: dict[str, Any]


class HubModel(Response):
    id: str
    name: str
    country: str
    locality: str
    region: str
    street: str
    website: str
    description: str
    sectors: list[str]
    technologies: list[str]
    services: list[str]
    source_id: str = ""


class RelatedHub(HubModel):
    score: float


class HubSearchResponse(Response):
    query: str
    filters: dict[str, str]
    found_by_name: bool
    message: str
    catalogue_size: int
    in_filters: int
    source: str
    named: list[HubModel]
    related: list[RelatedHub]


class HubMentionModel(Response):
    hub_id: str
    doc_id: str
    title: str
    page: int | None
    where: str
    passage_id: str
    text: str
    start: int
    end: int
    page_offset: int | None = None
    sentence: str = ""


class HubShowResponse(Response):
    hub: HubModel
    mentions: list[HubMentionModel]
    source: str


class ProgrammeModel(Response):
    cci: str
    title: str
    scope: str
    area: str
    funds: list[str]
    categories: list[str]
    eu_amount: float
    national_amount: float
    total_amount: float
    research_eu_amount: float
    lines: list[int]


class ScopeSumModel(Response):
    key: str
    label: str
    eu_amount: float
    national_amount: float
    total_amount: float
    programmes: list[str]


class FundingResponse(Response):
    about: dict[str, Any]
    programmes: list[ProgrammeModel]
    rows: list[dict[str, Any]]
    sums: dict[str, ScopeSumModel]
    total_eu_amount: float | None
