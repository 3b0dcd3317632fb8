"""Build the compact names list shipped in `data/names.tsv.gz` (a maintainer's tool).

The list comes from the `names-dataset` package (MIT; first and last names with their
popularity rank per country). Loading that package takes ~20 s and ~2 GB of memory, so
we run it once here and ship the few names a UK review needs (~100k), each flagged:

    F  a first name        L  a last name
    C  mostly a common English word ("Will", "Hope", "Bill", "Patience"): needs context
    W  also a frequent lower-case word ("Rose", "Jack", "Dawn"): not a name at the start
       of a sentence or in lower case without context
    P  a place (country, UK county, city or council): not a person on its own
    G  a popular given name in the UK, Ireland or the US (top 1500): safe to spot even
       in lower case ("spoke to sarah at reception")

"Common" is decided from spaCy's English word frequencies (spacy-lookups-data): a name
whose lower-case form is more frequent than its capitalised form is mostly a word.

It also writes `data/words.txt.gz`: the lower-case English words frequent enough
(spaCy's word probabilities) that a capitalised one is probably not a name.

    python -m rapidreview.privacy.build_names   # needs names-dataset and pycountry
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

OUT = Path(__file__).parent / "data" / "names.tsv.gz"
WORDS_OUT = Path(__file__).parent / "data" / "words.txt.gz"
WORD_MIN_LOGPROB = -13.5

# Where people living in the UK are likely to have their names from: broad lists for the
# UK and Ireland, shorter ones for other countries with large UK communities.
LIMITS = {"GB": 12000, "IE": 8000, "US": 4000, "CA": 2500, "AU": 2500}
OTHERS = ("IN BD NG GH ZA JM PL LT IT PT ES FR DE TR IR IQ AF SY SD ET CN HK PH MY CM EG SA MA DZ AL GR "
          "CY BG RU NL SE DK FI NO MU BW NA KH JO LB PS YE").split()
OTHER_LIMIT = 2000

LATIN_NAME = re.compile(r"^[A-Z][a-zà-ÿ'’]+(?:-[A-Z][a-zà-ÿ'’]+)?$|^(?:O'|Mc|Mac)[A-Z][a-z]+$")

# Words that no names list should make into a person in a health review.
NEVER = set("""
The And But For Not You Your Our They Them This That These Those Then There Here When Where Why How
What Who Which Very Good Great Bad Best Nice Kind Lovely Thank Thanks Please Dear Sir Madam Mr Mrs Ms
Miss Dr Doctor Nurse Sister Matron Ward Unit Team Staff Service Services Hospital Clinic Surgery
Practice Centre Center Health Care Trust Council Road Street Lane Avenue Drive Close Way Monday
Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August
September October November December Christmas Easter God Jesus Allah English British Polish Urdu
Punjabi Bengali Arabic Somali Covid Corona Brexit Google Facebook Twitter Whatsapp Zoom Teams
Yes No Ok Okay All Some Many Most Every Each Just Only Also Still Even Well Much More Less
""".split())


def build() -> None:
    from names_dataset import NameDataset  # heavy: only here

    nd = NameDataset()
    first = {n for n, v in nd.first_names.items() if _keep(v.get("rank") or {})}
    popular = {n for n, v in nd.first_names.items()
               if any((v.get("rank") or {}).get(c) is not None and v["rank"][c] <= 1500 for c in ("GB", "IE", "US"))}
    last = {n for n, v in nd.last_names.items() if _keep(v.get("rank") or {})}
    del nd
    first = {n for n in first if LATIN_NAME.match(n) and len(n) > 2 and n not in NEVER}
    last = {n for n in last if LATIN_NAME.match(n) and len(n) > 2 and n not in NEVER}
    prob = _word_probs()
    places = _places()
    rows = []
    for name in sorted(first | last | places):
        flags = ("F" if name in first else "") + ("L" if name in last else "")
        if _common(name, prob):
            flags += "C"
        if _wordlike(name, prob):
            flags += "W"
        if name in places:
            flags += "P"
        if name in popular and name in first:
            flags += "G"
        rows.append(f"{name}\t{flags}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as f:
        f.write("# names: derived from names-dataset (MIT, Philippe Remy); flags F L C W P G, see build_names.py\n")
        f.write("\n".join(rows) + "\n")
    print(f"{OUT}: {len(rows)} names ({len(first)} first, {len(last)} last, {len(places)} places)")


def build_words() -> None:
    prob = _word_probs()
    words = sorted(w for w, p in prob.items() if p > WORD_MIN_LOGPROB and w.isalpha() and w.islower() and len(w) > 1)
    with gzip.open(WORDS_OUT, "wt", encoding="utf-8", compresslevel=9) as f:
        f.write("\n".join(words) + "\n")
    print(f"{WORDS_OUT}: {len(words)} words")


def _keep(ranks: dict) -> bool:
    for country, rank in ranks.items():
        limit = LIMITS.get(country, OTHER_LIMIT if country in OTHERS else 0)
        if rank is not None and rank <= limit:
            return True
    return False


def _word_probs() -> dict:
    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def _common(name: str, prob: dict) -> bool:
    lower, title = prob.get(name.lower()), prob.get(name)
    if lower is None:
        return False
    # Frequent as a lower-case word, and more often lower-case than capitalised.
    return lower > -13.5 and (title is None or lower >= title)


def _wordlike(name: str, prob: dict) -> bool:
    lower, title = prob.get(name.lower()), prob.get(name)
    # A frequent word, and nearly as often lower-case as capitalised ("rose", "jack").
    return lower is not None and lower > -13.0 and (title is None or lower > title - 1.0)


def _places() -> set[str]:
    import pycountry

    names = set()
    for c in pycountry.countries:
        names.add(getattr(c, "common_name", None) or c.name)
    for s in pycountry.subdivisions.get(country_code="GB"):
        names.add(s.name.split(" [")[0])
    names |= set(UK_PLACES.split())
    # Only the one-word ones matter: the detector looks at single capitalised words.
    return {n for n in names if " " not in n and n.isalpha()}


UK_PLACES = """
London Leeds Bradford Wakefield Huddersfield Halifax Harrogate Sheffield Rotherham Barnsley Doncaster
York Hull Scarborough Whitby Manchester Salford Stockport Oldham Rochdale Bolton Bury Wigan Liverpool
Birkenhead Preston Blackburn Blackpool Lancaster Carlisle Kendal Newcastle Gateshead Sunderland Durham
Darlington Middlesbrough Hartlepool Birmingham Coventry Wolverhampton Walsall Dudley Solihull Leicester
Nottingham Derby Lincoln Grimsby Norwich Ipswich Cambridge Peterborough Oxford Reading Swindon Bristol
Bath Exeter Plymouth Truro Torquay Bournemouth Southampton Portsmouth Brighton Hastings Eastbourne
Canterbury Dover Maidstone Chelmsford Colchester Luton Bedford Northampton Milton Watford Slough
Guildford Croydon Bromley Lewisham Hackney Camden Islington Brent Ealing Harrow Barnet Enfield
Haringey Newham Tower Southwark Lambeth Wandsworth Kingston Richmond Hounslow Hillingdon Stoke Crewe
Chester Shrewsbury Telford Hereford Worcester Gloucester Cheltenham Cardiff Swansea Newport Wrexham
Bangor Aberystwyth Edinburgh Glasgow Aberdeen Dundee Inverness Stirling Perth Belfast Derry Lisburn
Armagh Dublin Cork Galway Limerick Keighley Ilkley Otley Pudsey Morley Batley Dewsbury Castleford
Pontefract Selby Goole Skipton Settle Ripon Wetherby Headingley Chapeltown Harehills Seacroft Beeston
Holbeck Armley Bramley Horsforth Roundhay Moortown Garforth Rothwell Yeadon Guiseley Shipley Bingley
Ilford Romford Woolwich Greenwich Lewes Crawley Horsham Worthing Chichester Winchester Basingstoke
Salisbury Taunton Yeovil Barnstaple Penzance Falmouth Weymouth Poole Dorchester Kidderminster Redditch
Nuneaton Rugby Tamworth Lichfield Burton Mansfield Worksop Chesterfield Buxton Macclesfield Warrington
St Helens Widnes Runcorn Southport Lytham Morecambe Barrow Whitehaven Workington Penrith Hexham Morpeth
Ashington Blyth Tynemouth Jarrow Consett Stanley Bishop Redcar Stockton Northallerton Thirsk Malton
Bridlington Beverley Scunthorpe Boston Skegness Grantham Stamford Spalding Wisbech Kings Lynn
Cromer Yarmouth Lowestoft Bury Sudbury Harlow Basildon Southend Grays Gravesend Chatham Gillingham
Margate Ramsgate Folkestone Ashford Tonbridge Sevenoaks Epsom Woking Farnborough Aldershot Bracknell
Wokingham Newbury Didcot Abingdon Banbury Bicester Aylesbury Wycombe Hemel Stevenage Hitchin Letchworth
Hertford Harpenden Potters Bar Yorkshire Lancashire Cumbria Northumberland Durham Teesside Tyneside
Merseyside Cheshire Derbyshire Staffordshire Shropshire Midlands Wales Scotland England Ireland Britain
Europe Africa Asia India Pakistan Bangladesh Nigeria Ghana Poland Romania Somalia Jamaica Kenya Zimbabwe
"""


if __name__ == "__main__":
    build_words()
    build()
