"""Write the privacy test corpus: comments and transcript turns with planted personal
data, and look-alikes that must survive redaction. Fixed seed: the output is stable.

    python corpora/privacy/make_corpus.py      # writes comments.csv, *.txt, *.vtt, gold.jsonl

Templates mark slots:
    {name} {first} {title_name} {rel} {phone} {nhs} {email} {postcode} {ni} {dob} {address} {url}
    [[text]]  a look-alike that must survive (annotated as kind "keep")
    <<kind:text>>  literal personal data planted by hand (annotated with that kind)
The gold file lists every planted span: {file, doc, kind, text, occurrence} where
`occurrence` counts earlier identical strings in the same document (0 = the first).
Every data item is invented; the numbers are made to look real (NHS numbers pass the
modulus-11 check, phone numbers use Ofcom's drama ranges where they exist).
"""

from __future__ import annotations

import csv
import json
import random
import re
from pathlib import Path

HERE = Path(__file__).parent
rng = random.Random(20261123)

FIRST = """Sarah Priya Siobhan Aoife Niamh Oluwaseun Chidi Ngozi Mohammed Fatima Aisha Wojciech Agnieszka
Kwame Abimbola Gurpreet Harjit Tomasz Declan Ciaran Bronwen Rhys Gareth Margaret Doreen Brian Keith Trevor
Janet Beverley Tariq Imran Nadia Zainab Yusuf Amara Chloe Kayleigh Jordan Callum Ellie-May Mary-Jane Tendai
Farai Babajide Temitope Mei Olumide Ravinder Sukhwinder Parveen Shazia Rukhsana Nasreen Bashir Kofi Mihai
Ioana Andrzej Katarzyna Grainne Padraig Eilidh Morag Hamish Alasdair Lakshmi Deepak Anjali Sandeep Kiran
Oksana Dmitri Leon Maureen Shirley Colin Derek Pauline Lorraine Tracey Jayden Tyler Kirsty Shannon Bethany
Zofia Hassan Abdul Yasmin Sadia Kehinde Taiwo Chukwuemeka Adaeze Obinna Femi Themba Nomvula Rashid Amina""".split()

AMBIGUOUS_FIRST = "Grace Rose Hope Will Mark Jack Dawn Joy Faith Amber Holly Daisy Ruby Sue Frank Patience Precious Blessing Bill Ray".split()

LAST = """Jones Smith Patel Khan Hussain Begum Ahmed Okafor Adeyemi Mensah Kowalski Nowak O'Brien O'Neill McCarthy
Murphy Walsh Singh Kaur Chaudhry Nguyen Chen Wong Evans Williams Taylor Brown Wilson Thompson Clarke Shaw
Price Wright Okonkwo Mwangi Moyo Bhatti Iqbal Mahmood Sheikh Rahman Uddin Miah Choudhury Sutcliffe Ackroyd
Hepworth Fitzgerald Da Silva Smith-Jones Wiśniewski Popescu Osei Asante Bello Eze Nwosu Dlamini Ncube
MacLeod Campbell Robertson Gallagher Doherty Kennedy Lloyd Hughes Morgan Pritchard Dhillon Sandhu Gill
Bains Mistry Shah Desai Varghese Kurian Nair Akhtar Qureshi Malik Butt Haworth Greenwood Sykes Crowther""".split()

TITLES = ["Dr", "Dr.", "Mr", "Mrs", "Ms", "Miss", "Nurse", "Sister", "Doctor", "Professor", "Matron", "Mr.", "Mrs."]
ROLES_LOWER = ["dr", "nurse", "doctor"]
RELATIONS = ["my son", "my daughter", "my mum", "my dad", "my husband", "my wife", "my partner", "my nan",
             "my grandson", "my granddaughter", "my brother", "my sister", "my mother", "my father", "our son",
             "our daughter", "my friend", "my neighbour", "my carer", "my aunt", "my uncle", "my little girl",
             "my little boy", "my step-dad", "her husband", "his wife", "my fiance"]
STREETS = ["Ashfield Road", "Mill Lane", "Kings Court", "Victoria Street", "Oakwood Avenue", "Harehills Lane",
           "Chapel Street", "Station Road", "Beech Grove", "Church Close", "Meadow Way", "Elm Crescent",
           "Primrose Hill", "Cardigan Terrace", "Spen Lane", "Cross Flatts Place", "Dewsbury Road",
           "Tong Road", "Oak Tree Drive", "St Mark's Avenue", "Thornhill Gardens", "Queen's Walk",
           "Westfield Mews", "Moor View", "Bramley Fold Rise"]
POSTCODE_OUT = ["LS9", "LS11", "LS6", "BD3", "BD7", "HX1", "WF13", "M14", "M8", "SW1A", "E1", "N17", "B12",
                "CF10", "G42", "EH6", "BT9", "NE4", "S2", "L8", "YO31", "HU3", "LS1", "EC1V", "W1T", "OL1"]
EMAIL_DOMAINS = ["gmail.com", "hotmail.co.uk", "yahoo.co.uk", "outlook.com", "btinternet.com", "nhs.net",
                 "icloud.com", "live.co.uk", "sky.com"]
MONTHS = "January February March April May June July August September October November December".split()


def nhs_number() -> str:
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        total = sum(d * w for d, w in zip(digits, range(10, 1, -1)))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check == 10 or len(set(digits)) == 1:
            continue
        s = "".join(map(str, digits)) + str(check)
        return rng.choice([f"{s[:3]} {s[3:6]} {s[6:]}", f"{s[:3]}-{s[3:6]}-{s[6:]}", s, f"{s[:3]} {s[3:6]} {s[6:]}"])


def phone() -> str:
    kind = rng.randint(0, 9)
    n = lambda k: "".join(str(rng.randint(0, 9)) for _ in range(k))  # noqa: E731
    if kind <= 2:
        s = "07700 900" + n(3)
        return rng.choice([s, s.replace(" ", ""), "+44 7700 900" + s[-3:], "07" + n(3) + " " + n(6)])
    if kind <= 4:
        code = rng.choice(["0113", "0114", "0161", "0121", "0151", "01274", "01422", "01924"])
        rest = n(7) if len(code) == 4 else n(6)
        return rng.choice([f"{code} {rest[:3]} {rest[3:]}", f"({code}) {rest}", f"{code}-{rest}", f"{code}{rest}"])
    if kind <= 6:
        return rng.choice(["020 7946 0", "0207 946 0"]) + n(3)
    if kind == 7:
        return "+44 (0)113 496 0" + n(3)
    if kind == 8:
        return "+447" + n(9)
    return "07" + n(3) + "-" + n(3) + "-" + n(3)


def email(first: str, last: str) -> str:
    f, l = first.lower().replace("-", ""), re.sub(r"[^a-z]", "", last.lower())
    local = rng.choice([f"{f}.{l}", f"{f}{l}{rng.randint(1, 99)}", f"{f[0]}{l}", f"{f}_{l}", f"{l}.{f}"])
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def postcode() -> str:
    out = rng.choice(POSTCODE_OUT)
    inward = f"{rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    form = rng.randint(0, 5)
    if form == 0:
        return (out + inward).lower()
    if form == 1:
        return out + inward
    if form == 2:
        return f"{out} {inward}".lower()
    return f"{out} {inward}"


def ni_number() -> str:
    a = rng.choice("ABCEGHJKLMNPRSTWXYZ") + rng.choice("ABCEGHJKLMNPRSTWXYZ")
    if a in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ"):
        a = "JT"
    d = "".join(str(rng.randint(0, 9)) for _ in range(6))
    s = rng.choice("ABCD")
    return rng.choice([f"{a}{d}{s}", f"{a} {d[:2]} {d[2:4]} {d[4:]} {s}", f"{a.lower()}{d}{s.lower()}"])


def dob() -> str:
    y, m, d = rng.randint(1928, 2019), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice([f"{d:02d}/{m:02d}/{y}", f"{d}/{m}/{y}", f"{d} {MONTHS[m - 1]} {y}", f"{d}.{m:02d}.{y}",
                       f"{d}{['st', 'nd', 'rd'][d - 1] if d < 4 else 'th'} {MONTHS[m - 1]} {y}",
                       f"{y}-{m:02d}-{d:02d}", f"{d:02d}-{m:02d}-{str(y)[2:]}", f"{MONTHS[m - 1][:3]} {d} {y}"])


def address() -> str:
    num = rng.choice([str(rng.randint(1, 240)), f"{rng.randint(1, 90)}a", f"{rng.randint(1, 60)}B"])
    street = rng.choice(STREETS)
    form = rng.randint(0, 6)
    if form == 0:
        return f"Flat {rng.randint(1, 20)}, {num} {street}"
    if form == 1:
        return f"{num} {street}".lower()
    if form == 2:
        return f"{num}, {street}"
    return f"{num} {street}"


def url(first: str, last: str) -> str:
    handle = (first + last).lower().replace("'", "").replace("-", "")
    return rng.choice([f"https://www.facebook.com/{handle}", f"www.gofundme.com/f/help-{first.lower()}-{handle[-4:]}",
                       f"http://instagram.com/{handle}_{rng.randint(1, 99)}", f"https://tiktok.com/@{handle}",
                       f"https://www.justgiving.com/fundraising/{first.lower()}-{last.lower()}"])


def person(ambiguous_ok=True):
    first = rng.choice(AMBIGUOUS_FIRST if ambiguous_ok and rng.random() < 0.15 else FIRST)
    return first, rng.choice(LAST)


# Each template is one comment or turn. Slots are filled per use.
COMMENTS = [
    "The nurse who looked after me, {first}, was brilliant and explained everything.",
    "{title_name} was very rude to my mother and did not listen to a word she said.",
    "I want to thank {name} on [[Ward 7]] for the care she gave my dad in his last days.",
    "Please call me on {phone} as nobody has got back to me about my complaint.",
    "My NHS number is {nhs} and the letter still had the wrong address on it.",
    "{rel} {first} waited six hours in [[A&E]] with a broken wrist.",
    "I rang [[111]] three times and was told to go to [[A&E]]. {title_name} finally saw us at 2am.",
    "Email me at {email} if you want to talk about what happened.",
    "We live at {address}, {postcode} and the ambulance could not find the house.",
    "My national insurance number is {ni}, I was told I had to give it for the carers allowance form.",
    "Date of birth {dob}. I have been waiting for a hip replacement since [[2021]].",
    "{rel} (DOB {dob}) has dementia and nobody at the practice seems to know.",
    "I set up a fundraiser {url} because the wheelchair the NHS gave us is no good.",
    "Reception were lovely but {title_name} kept me waiting [[40 minutes]] past my [[10:30am]] slot.",
    "{first} at [[Citizens Advice]] helped me fill in the forms, without her I would have given up.",
    "[[Age UK]] sent a volunteer called {first} who takes mum shopping every [[Tuesday]].",
    "{rel} {first} is autistic and the noise on the children's ward was too much for him.",
    "Can someone ring {rel} on {phone}? She does not use email.",
    "The consultant {name} told us the results over the phone which felt cold.",
    "Moved to [[Leeds General Infirmary]] after a week at [[St James's Hospital]], care was great at both.",
    "{first}'s kindness on the night shift will stay with me forever.",
    "I was prescribed [[20mg]] of [[omeprazole]] and then [[40mg]] without anyone explaining why.",
    "Parking at [[Bradford Royal Infirmary]] costs [[£4.50]] an hour which is a disgrace.",
    "Staff on [[Ward 12]] were stretched. {title_name} stayed late to finish my discharge letter.",
    "No complaints. [[Will]] recommend to friends and family.",
    "[[Grace]] period for the prescription charge was not explained, I got a fine.",
    "My GP, {title_name}, referred me in [[March]] and I am still waiting.",
    "The receptionist {first} {last} shouted at my dad in front of everyone.",
    "{rel}, {first}, was born on {dob_plain} and has been in and out of hospital all his life.",
    "Contact: {name}, {address}, {postcode}, tel {phone}.",
    "I had my jab at [[Boots]] and it was quick and easy.",
    "My son {first} was seen by {title_name} who was fantastic with him.",
    "Thank you to the midwives especially {first} and {first2} who delivered our baby girl.",
    "Hospital number and NHS no. {nhs} were both on the wrong patient's notes.",
    "They sent the letter to {address} which is my old address.",
    "I am a carer for {rel} {first} {last} and get no support at all.",
    "[[Macmillan]] nurse {first} has been our rock through the chemo.",
    "[[Patience]] is needed with the new booking system, it keeps crashing.",
    "[[Frank]] conversation with the doctor about my options, which I appreciated.",
    "Took [[2 x 500mg]] [[paracetamol]] as advised by [[NHS 111]] and waited.",
    "Appointment on [[14/03/2024]] was cancelled the day before with no reason.",
    "I was seen in [[Bay 4]] then moved to [[Room 12]] on the [[Jubilee Wing]].",
    "{title_name} and {title_name2} both said different things about my medication.",
    "Mum is 87, born {dob_plain}, and was left on a trolley for eleven hours.",
    "please ring {phone} and ask for {first}",
    "my daughter {first_lower} was treated by dr {last} who was amazing",
    "{first} {last} (my dad) was discharged without his medication.",
    "Visit {url} to see the campaign we started after what happened to {first}.",
    "My email is {email} and my mobile is {phone}.",
    "The phlebotomist {first} was so gentle, I hate needles.",
    "{rel} {first} {last}'s care plan was never updated.",
    "I spoke to the practice manager {name} who said there was nothing they could do.",
    "Wonderful care at [[St Gemma's Hospice]]. Thank you to {first} and all the team.",
    "[[Marie Curie]] nurses sat with dad overnight so we could sleep.",
    "[[Sue Ryder]] were amazing with mum at the end.",
    "The [[CQC]] report says the practice requires improvement. I agree.",
    "[[PALS]] never replied to my email, I gave up after [[3 weeks]].",
    "I waited from [[9.15]] until [[13:40]] for a [[5 minute]] appointment.",
    "Blood pressure was [[140/90]] and nobody rechecked it.",
    "[[Dr]] on call was good but the [[GP]] surgery is impossible to get through to.",
    "We were told to ring [[999]] if she got worse, which we did.",
    "Address for letters: {address}, Leeds {postcode}.",
    "I am {first} {last}, NI {ni}, and I am writing on behalf of my mother.",
    "The patient in the next bed, {first}, helped me more than the staff did.",
    "{first} from the [[district nursing team]] comes twice a week to dress my leg.",
    "Please pass my thanks to Sister {last} and Staff Nurse {first}.",
    "Our health visitor {first} {last} noticed the rash and got us seen the same day.",
    "My wife {first} had a stroke on [[Boxing Day]] and the stroke unit were wonderful.",
    "Our little girl {first} is [[3]] and was born {dob_plain}, she has cerebral palsy.",
    "The app said my appointment was at [[8:40]] but the letter said [[9:40]].",
    "[[Mark]] my words, someone will die in that waiting room.",
    "[[Hope]] the new hospital gets built soon.",
    "Felt rushed. [[Bill]] for parking was more than my prescription.",
    "{first}, the healthcare assistant, brought me tea at 3am when I could not sleep.",
    "I rang the surgery on {phone} at 8am every day for a week.",
    "Postcode {postcode}, the district nurses said we were outside their area.",
    "DOB: {dob} NHS No: {nhs} Name: {name}",
    "Patient: {name} born {dob_plain} seen in [[Outpatients]] on [[12 June 2023]].",
    "My named nurse was {first} and she was excellent.",
    "{first} in pharmacy sorted out the mix up with my [[Amlodipine]] in ten minutes.",
    "A huge thank you to {name} who went above and beyond.",
    "Nothing to improve, all the staff on [[Ward 30]] were wonderful.",
    "The [[Florence Nightingale]] statue outside is nice but the toilets are filthy.",
    "[[Martin House]] gave our family respite when we needed it most.",
    "Had the [[Covid]] jab and [[flu]] jab at the same time in [[Ward 9]], no problems.",
    "Long wait, [[4 hours]], for [[X-ray]]. {first} {last} at the desk kept us updated.",
    "My mum {first} (date of birth {dob_plain}) was moved wards four times in one night.",
    "The dentist, {title_name}, said I need [[2]] fillings but could not book me in until [[July]].",
    "I am {age} years old and was born on {dob_plain}, I have never been treated so badly.",
    "Thanks to {first} and {first2} on reception, always smiling.",
    "I've left messages for {title_name} at {phone} and {phone2} with no reply.",
    "Complaint ref [[CMP-2024-0193]] still open after [[6 months]].",
    "He weighs [[12 stone]] and is [[5ft 10]], the trolley was too small.",
    "{first_lower} from the physio team was lovely",
    "{title_name}'s manner was dismissive and I felt like a nuisance.",
]

TRANSCRIPT_TURNS = [
    "Interviewer: Can you tell me a bit about your experience of the service?",
    "Participant: Well, it started when {rel} {first} got ill in [[January]]. We rang [[111]] and they sent an ambulance.",
    "Interviewer: And how was that?",
    "Participant: The paramedic, {first}, was lovely. But then we waited on the corridor at [[A&E]] for nine hours.",
    "Participant: I kept ringing the ward on {phone} and nobody answered.",
    "Participant: {title_name} eventually came and said they had no beds.",
    "Interviewer: Did anyone explain what was happening?",
    "Participant: Not really. {first} {last}, the discharge coordinator, was the only one who talked to us.",
    "Participant: We live at {address} so it's two buses to get there.",
    "Participant: His NHS number is {nhs}, I know it off by heart now.",
    "Participant: I wrote it all down and emailed it to {email}.",
    "Interviewer: That sounds really hard. What would have made a difference?",
    "Participant: Someone to just ring us. We're at {postcode}, it's not the end of the world.",
    "Participant: {rel} was born {dob_plain}, she's [[91]], she doesn't understand what's going on.",
    "Participant: And the [[Citizens Advice]] lady, {first}, she helped with the blue badge.",
    "Participant: I take [[10mg]] of [[amitriptyline]] at night and [[50mg]] [[sertraline]] in the morning.",
    "Participant: [[Ward 7]] was fine, it was [[Ward 9]] that was the problem.",
    "Participant: My son {first_lower} set up a page, {url}, to raise money for a ramp.",
    "Interviewer: Is there anything else you'd like to add?",
    "Participant: Only that {title_name} on [[Ward 14]] was the best doctor we met.",
    "Participant: I said to {first}, I said, you need to complain. She said what's the point.",
    "Participant: The social worker, {name}, came out on the [[Thursday]] and did an assessment.",
    "Participant: They wanted my national insurance, {ni}, for the assessment.",
    "Participant: Honestly [[Age UK]] did more for us than the council.",
    "Participant: We went to [[Pinderfields]] in the end, [[Wakefield]], it was better.",
    "Participant: Mrs {last} next door drove us because the transport never came.",
    "Participant: {first}'s mum had the same thing last year.",
    "Participant: It was about [[half past ten]] when {title_name} came round.",
    "Facilitator: Thanks everyone. {first}, would you like to go next?",
    "Participant: Yeah. So my daughter {first} has type 1 diabetes and she's [[14]].",
    "Participant: The diabetes nurse {name} gave us her mobile, {phone}, which was a lifesaver.",
    "Participant: I rang [[999]] and they said four hours.",
    "Participant: My husband {first} {last} died in [[2022]]. DOB {dob}.",
    "Participant: They had his date of birth as {dob} on one letter and something else on another.",
    "Participant: [[Mind]] were good, the [[crisis team]] less so.",
    "Participant: I saw {title_name} in [[Outpatients]] at the [[LGI]].",
]

VTT_TURNS = [
    "So, um, it was {rel} {first} who found me on the floor.",
    "We called [[111]] first, then [[999]] when he went grey.",
    "The ambulance crew were brilliant, one of them was called {first}.",
    "I'm at {address}, just off the ring road, {postcode}.",
    "My number's {phone} if you need to follow anything up.",
    "{title_name} on [[Ward 7]] was really kind, held my hand.",
    "They couldn't find my NHS number, it's {nhs}, I had to spell everything out.",
    "I'm on [[20mg]] [[citalopram]] and I've been on it since [[2019]].",
    "[[Leeds General Infirmary]] is massive, I got lost twice.",
    "You can email me at {email}, that's fine.",
    "I was born on {dob_plain} so I'm not young any more.",
    "{first} {last} from the [[carers centre]] rang me every week.",
    "mm, yeah, and {first_lower} my grandson does all my shopping now.",
    "It was on [[Wednesday]] at [[2pm]], in [[Room 3]].",
    "The physio, {first}, gave me exercises, but nobody checked I was doing them.",
    "Interviewer: Thank you, that's really helpful.",
    "My NI number is {ni}, they kept asking for it.",
    "I posted about it on {url} and loads of people said the same.",
    "{rel}, {first}, she's got learning disabilities and nobody made adjustments.",
    "[[Healthwatch]] told me about this, so thank you.",
]

HANDWRITTEN = [
    ("survey", "Saw <<name:Dr Olusegun Bankole-Williams>> at the clinic, then <<name:Dr Áine Ní Bhriain>>, she was great."),
    ("survey", "SISTER <<name:MCGOWAN>> ON [[WARD 21]] IS AN ANGEL. <<name:PETER>> THE PORTER TOO."),
    ("survey", "My partner <<name:Ashwin>> and I were treated like we didn't exist on [[Ward 3]]."),
    ("survey", "Ring <<phone:07911 123456>> or <<phone:0113 496 0455>> (home), or write to <<address:Flat 2, 16 Cardigan Road>>, <<postcode:LS6 3AG>>."),
    ("survey", "Appointment letter ref [[4857773456]] was for the wrong clinic; my NHS number is <<nhs_number:485 777 3456>>."),
    ("survey", "[[Victoria]] Wing? [[Jubilee]]? Nobody could tell us where to go."),
    ("survey", "The [[Queen Elizabeth Hospital]] in [[Birmingham]] did my transplant. Everyone there was amazing."),
    ("survey", "<<name:Mohammed>> and <<name:Ayesha>> on the night shift, thank you."),
    ("survey", "Had to give my D.O.B. (<<date_of_birth:3/4/61>>) four times at the desk."),
    ("survey", "Our son <<name:Kai>> is 6 and has been waiting [[18 months]] for an ADHD assessment."),
    ("survey", "b. <<date_of_birth:12/10/1947>>, widow, lives alone - mum needs more help than [[2 visits]] a day."),
    ("survey", "[[Summer]] is the worst time, the ward gets so hot."),
    ("survey", "Called <<name:Ruby>>? The receptionist with the purple hair, she was helpful."),
    ("survey", "Please contact <<email:j.okoro-smith@nhs.net>> (my care coordinator) for details."),
    ("survey", "Booked online at [[www.nhs.uk]], easy."),
    ("survey", "My dad <<name:Seamus O'Shaughnessy>> would have been [[80]] today."),
    ("survey", "I asked for a female doctor and got <<name:Dr Ahmed>>, who was lovely anyway."),
    ("survey", "The [[111]] call handler <<name:Dave>> stayed on the phone till the ambulance came."),
    ("survey", "<<name:Janice>>'s team on [[Ward 4]] should get an award."),
    ("survey", "It was the surgery's number, <<phone:01274 496 002>>, that never answers."),
    ("survey", "I am <<name:Krzysztof>>, I do not speak good English, the interpreter did not come."),
    ("survey", "A big thank you to <<name:Nurse Bernadette>> and <<name:Dr Wu>>."),
    ("survey", "Home visits by <<name:Tunde>> from the [[community matron team]] kept mum out of hospital."),
    ("survey", "My grandson's name is <<name:Mason>> and he is [[4]]. He was seen within the hour."),
    ("survey", "DOB <<date_of_birth:28.02.1952>> / NHS <<nhs_number:9434765919>> / tel <<phone:07700 900982>>"),
    ("survey", "Took [[1 tablet]] of [[co-codamol 30/500]] at [[6pm]]."),
    ("survey", "It was [[May]] when we first reported it, now it's [[September]]."),
    ("survey", "[[Dawn]] till dusk on a trolley. Never again."),
    ("survey", "my mum sheila was left in her own mess for hours"),
    ("survey", "spoke to a lady called bernie at the front desk, very helpful"),
]
# Fix the lowercase handwritten names into gold by marking them.
HANDWRITTEN[-2] = ("survey", "my mum <<name:sheila>> was left in her own mess for hours")
HANDWRITTEN[-1] = ("survey", "spoke to a lady called <<name:bernie>> at the front desk, very helpful")

SLOT = re.compile(r"\{(\w+)\}|\[\[(.+?)\]\]|<<(\w+):(.+?)>>")


def fill(template: str):
    """Return (text, [(kind, text)]) with every planted span in order."""
    first, last = person()
    first2 = rng.choice(FIRST)
    spans = []
    values = {
        "first": ("name", first), "first2": ("name", first2), "last": ("name", last),
        "first_lower": ("name", first.lower()), "name": ("name", f"{first} {last}"),
        "phone": ("phone", phone()), "phone2": ("phone", phone()), "nhs": ("nhs_number", nhs_number()),
        "email": ("email", email(first, last)), "postcode": ("postcode", postcode()), "ni": ("ni_number", ni_number()),
        "dob": ("date_of_birth", dob()), "dob_plain": ("date_of_birth", dob()), "address": ("address", address()),
        "url": ("url", url(first, last)), "age": (None, str(rng.randint(30, 95))),
    }
    out = []
    pos = 0
    for m in SLOT.finditer(template):
        out.append(template[pos:m.start()])
        pos = m.end()
        if m.group(3):
            kind, value = m.group(3), m.group(4)
            spans += _name_parts(kind, value)
            out.append(value)
            continue
        if m.group(2):
            out.append(m.group(2))
            spans.append(("keep", m.group(2)))
            continue
        slot = m.group(1)
        if slot in ("title_name", "title_name2"):
            title = rng.choice(TITLES)
            surname = rng.choice(LAST) if slot == "title_name2" or rng.random() < 0.8 else rng.choice(FIRST)
            if rng.random() < 0.2:
                value = f"{title} {rng.choice(FIRST)} {surname}"
            else:
                value = f"{title} {surname}"
            out.append(value)
            spans.append(("name", value.split(" ", 1)[1]))
            continue
        if slot == "rel":
            value = rng.choice(RELATIONS)
            out.append(value[0].upper() + value[1:] if not "".join(out).strip() else value)
            continue
        kind, value = values[slot]
        out.append(value)
        if kind:
            spans.append((kind, value))
    out.append(template[pos:])
    return "".join(out), spans


def _name_parts(kind, value):
    if kind == "name":
        for t in ("Dr ", "Nurse ", "Sister "):
            if value.startswith(t):
                return [("name", value[len(t):])]
    return [(kind, value)]


def gold_rows(file: str, doc: str, text: str, spans):
    seen: dict[str, int] = {}
    rows = []
    cursor = 0
    for kind, value in spans:
        at = text.find(value, cursor)
        if at < 0:
            raise ValueError(f"{value!r} not in {text!r}")
        occurrence = _occurrence(text, value, at)
        rows.append({"file": file, "doc": doc, "kind": kind, "text": value, "occurrence": occurrence})
        cursor = at + len(value)
        seen[value] = occurrence
    return rows


def _occurrence(text: str, value: str, at: int) -> int:
    n, i = 0, text.find(value)
    while i != -1 and i < at:
        n += 1
        i = text.find(value, i + 1)
    return n


def main() -> None:
    gold = []
    # Survey comments: every template three times with different fills, plus the handwritten ones.
    rows = []
    for rep in range(3):
        for i, template in enumerate(COMMENTS):
            text, spans = fill(template)
            rows.append((f"C{len(rows) + 1:04d}", text, spans))
    for kind, template in HANDWRITTEN:
        text, spans = fill(template)
        rows.append((f"C{len(rows) + 1:04d}", text, spans))
    rng.shuffle(rows)
    with open(HERE / "comments.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Comment ID", "Service", "What could be better?"])
        for cid, text, spans in rows:
            w.writerow([cid, rng.choice(["GP", "A&E", "Maternity", "Mental health", "Community"]), text])
            gold += gold_rows("comments.csv", cid, text, spans)
    # Plain-text transcripts: one file per interview, each turn on its own line.
    for n in range(1, 5):
        turns = rng.sample(TRANSCRIPT_TURNS, 22)
        lines, spans = [], []
        for t in turns:
            text, s = fill(t)
            lines.append(text)
            spans += s
        name = f"interview-{n:02d}.txt"
        body = "\n\n".join(lines) + "\n"
        (HERE / name).write_text(body, encoding="utf-8")
        gold += gold_rows(name, name, body, spans)
    # WebVTT recordings: participants' words in cues.
    for n in range(1, 4):
        turns = rng.sample(VTT_TURNS, 16)
        cues, spans = ["WEBVTT", ""], []
        t = 0
        for i, tpl in enumerate(turns, 1):
            text, s = fill(tpl)
            spans += s
            speaker = "Interviewer" if text.startswith("Interviewer:") else f"Participant {n}"
            text = text.removeprefix("Interviewer: ")
            cues += [str(i), f"00:{t // 60:02d}:{t % 60:02d}.000 --> 00:{(t + 7) // 60:02d}:{(t + 7) % 60:02d}.000",
                     f"<v {speaker}>{text}</v>", ""]
            t += 8
        name = f"recording-{n:02d}.vtt"
        body = "\n".join(cues)
        (HERE / name).write_text(body, encoding="utf-8")
        gold += gold_rows(name, name, vtt_text(body), spans)
    with open(HERE / "gold.jsonl", "w", encoding="utf-8") as f:
        for row in gold:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    kinds = {}
    for row in gold:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    units = len(rows) + 4 * 22 + 3 * 16
    print(f"{units} comments and turns; gold spans by kind: {dict(sorted(kinds.items()))}")


def vtt_text(body: str) -> str:
    """The spoken words of a VTT file, one cue per line (how the corpus loader reads it)."""
    out = []
    for line in body.splitlines():
        if "-->" in line or not line.strip() or line.strip() == "WEBVTT" or line.strip().isdigit():
            continue
        out.append(re.sub(r"</?v[^>]*>", "", line))
    return "\n".join(out)


if __name__ == "__main__":
    main()
