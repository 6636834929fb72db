"""Word pools for realistic, deterministic names (vendors, customers, jobs, items).

The pools deliberately include what breaks naive integrations: ``&``, apostrophes, double
quotes, ``<``/``>``, accented Latin letters (which QuickBooks stores fine: Windows-1252) and
non-Latin text (which it cannot: :func:`.company.qb_text` turns it into "?" as a round trip
through QuickBooks would).
"""

from __future__ import annotations

import random

SURNAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Kowalski",
    "Schmidt",
    "Dubois",
    "Rossi",
    "Novak",
    "Jensen",
    "Larsen",
    "Okafor",
    "Tanaka",
    "Kim",
    "Patel",
    "Singh",
    "Cohen",
    "Murphy",
    "Kelly",
    "Walsh",
]
SPECIAL_SURNAMES = ("O'Brien", "D'Angelo", "Müller", "Peña", "Björk", "Françoise", "Ñúñez")
FIRST_NAMES = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "Maria",
    "Ana",
    "José",
    "Chloé",
    "Zoë",
    "Renée",
    "André",
]
TRADES = [
    "Plumbing",
    "Electric",
    "Roofing",
    "Landscaping",
    "Janitorial",
    "Printing",
    "Catering",
    "Consulting",
    "Logistics",
    "Trucking",
    "Hardware",
    "Lumber",
    "Paper",
    "Office",
    "Supply",
    "Packaging",
    "Uniforms",
    "Security",
    "Staffing",
    "Cleaning",
    "Software",
    "Telecom",
    "Insurance",
    "Legal",
    "Accounting",
    "Marketing",
    "Design",
    "Engineering",
    "Welding",
    "Fasteners",
]
ADJECTIVES = [
    "Acme",
    "Allied",
    "Apex",
    "Atlas",
    "Blue",
    "Bright",
    "Capital",
    "Central",
    "Coastal",
    "Delta",
    "Eagle",
    "Empire",
    "First",
    "Global",
    "Golden",
    "Great",
    "Harbor",
    "Metro",
    "Midwest",
    "National",
    "North",
    "Pacific",
    "Pioneer",
    "Premier",
    "Prime",
    "Quality",
    "Rapid",
    "Royal",
    "Summit",
    "Superior",
    "United",
    "Valley",
    "Western",
]
SUFFIXES = ("Inc.", "LLC", "Co.", "Corp.", "Ltd.", "& Sons", "& Co.", "Group", "Supply", "Services")
# Names exercising escaping and code pages; QuickBooks sees the non-Latin ones as "?" (cp1252).
AWKWARD_VENDORS = (
    "AT&T",
    "Johnson & Johnson Supply",
    'Bob\'s "Best" Parts',
    "A&B <Wholesale>",
    "Café Müller GmbH",
    "Société Générale de Papeterie",
    "Peña & Hijos S.A.",
    "Łódź Metal Works",
    "株式会社 Tanaka Trading",
    "Ελληνικά Supplies",
    "Москва Импорт",
    "Smörgås Catering AB",
)
JOB_NAMES = (
    "Kitchen Remodel",
    "Office Fit-out",
    "Warehouse Expansion",
    "Roof Repair",
    "Annual Maintenance",
    "Website Redesign",
    "Phase 1",
    "Phase 2",
    "Parking Lot",
    "Lobby Renovation",
)
STREETS = (
    "Main St",
    "Oak Ave",
    "Pine Rd",
    "Maple Dr",
    "Cedar Ln",
    "Elm St",
    "Market St",
    "1st Ave",
)
CITIES = (
    ("San Francisco", "CA", "94107"),
    ("Oakland", "CA", "94612"),
    ("Portland", "OR", "97204"),
    ("Seattle", "WA", "98101"),
    ("Austin", "TX", "78701"),
    ("Denver", "CO", "80202"),
    ("Chicago", "IL", "60601"),
    ("Boston", "MA", "02108"),
    ("Montréal", "QC", "H2Y 1C6"),
)
MEMOS = (
    "Monthly service",
    "Per quote #{n}",
    "Invoice {n}",
    "Rush order - deliver to back door",
    "Net 30 per agreement",
    "Replacement parts & labor",
    'Order "priority" shipment',
    "Q{q} retainer",
    "Réparation urgente",
    "",
)


def vendor_name(rng: random.Random, index: int) -> str:
    if index < len(AWKWARD_VENDORS):
        return AWKWARD_VENDORS[index]
    shape = rng.random()
    surname = rng.choice(SURNAMES if rng.random() > 0.05 else SPECIAL_SURNAMES)
    if shape < 0.35:
        name = f"{surname} {rng.choice(TRADES)} {rng.choice(SUFFIXES)}"
    elif shape < 0.7:
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(TRADES)} {rng.choice(SUFFIXES)}"
    elif shape < 0.85:
        name = f"{surname} & {rng.choice(SURNAMES)}"
    else:
        name = f"{rng.choice(FIRST_NAMES)} {surname}"
    return name[:41]


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice((*SURNAMES, *SPECIAL_SURNAMES))


def address(rng: random.Random, name: str) -> dict[str, str]:
    city, state, postal = rng.choice(CITIES)
    return {
        "Addr1": name[:41],
        "Addr2": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
        "City": city,
        "State": state,
        "PostalCode": postal,
    }


def memo(rng: random.Random) -> str:
    template = MEMOS[int(rng.random() * len(MEMOS))]
    if "{" not in template:
        return template
    return template.format(n=1000 + int(rng.random() * 99000), q=1 + int(rng.random() * 4))
