"""A second, hand-written set in a different voice from the templated corpus: written
before it was ever run through the detectors, to check that they generalise.

    python corpora/privacy/holdout/make_holdout.py   # writes comments.csv and gold.jsonl

Markup: <<kind:text>> personal data, [[text]] a look-alike that must survive.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

HERE = Path(__file__).parent

ITEMS = """
Absolutely shocking. My father <<name:Desmond>> was left in a corridor for 14 hours at [[Pinderfields]].
Staff Nurse <<name:Okoye>> and HCA <<name:Lucy>> were brilliant on the night shift.
I was seen by <<name:Dr. O'Sullivan>> who didn't even look at me.
Ring me: <<phone:07845 612 390>> (after 5pm please).
Its my mam <<name:Brenda>>, shes 79 and cant get an appointment for love nor money
The discharge letter went to <<address:27 Hollybush Lane>>, <<postcode:LS16 8QW>> but we moved in [[2019]].
[[Faith]] in the NHS restored after my op at [[Wharfedale Hospital]].
<<name:Anjali>>'s patience with my dad (he has [[dementia]]) was amazing.
The health visitor <<name:Mrs Kaur>> said it was [[colic]].
please tell <<name:deborah>> at the front desk thank you from room [[4]]
Our GP <<name:Dr Fitzpatrick-Lowe>> retired and now we never see the same doctor twice.
I emailed <<email:complaints.leeds@nhs.net>> and <<email:tony_b1962@yahoo.com>> got a reply from neither.
NHS No <<nhs_number:401 023 2137>>, DOB <<date_of_birth:14/07/1958>>.
My NI is <<ni_number:PX 43 21 09 A>> if that helps with the blue badge.
The [[111]] service told us to go to the [[Urgent Treatment Centre]] at [[St George's]].
[[Grace]] and dignity were missing from the way mum was treated.
My granddaughter <<name:Aaliyah>> (aged 6) was terrified of the needle.
<<name:Tomasz Wójcik>> from the [[mental health team]] phoned twice and then nothing.
Call the ward on 0113 392 3333? Nobody ever picks up.
Born <<date_of_birth:2nd February 1944>>, lived in [[Bradford]] all her life, and this is how she's treated.
He lives at <<address:Flat 12, 3 Regent Court>>, <<postcode:BD1 2RT>>.
The midwife <<name:Oyinkansola>> stayed past her shift to make sure we were ok.
Had a lovely chat with <<name:Margaret>> and <<name:Eileen>> on the [[volunteer desk]].
Please could <<name:Mr Adebayo>> call me back on <<phone:01924 543 210>>.
[[Will]] the new building have more parking?
The [[Rose]] garden outside [[Ward 22]] is a nice touch.
My wife <<name:Lorna>> has [[MS]] and the neuro team were fab.
I'm <<name:Hafsa>>, I'm 23 and I felt judged by reception.
I'd give it 5 stars because of <<name:Kieran>> in [[X-ray]].
Waited 3 weeks for a call back from [[PALS]]. Ref [[PALS-22-0193]].
Husband <<name:Graham Oldroyd>> (<<date_of_birth:03.11.1949>>) is still waiting for his hearing aids.
Follow our story at <<url:https://www.instagram.com/teamfreddie_2021>> - <<name:Freddie>> is doing better now.
<<name:Ngozi>> was so kind when I lost the baby. I will never forget her.
[[Patient Transport]] never turned up, twice. I had to pay [[£38]] for a taxi.
[[Dr]] was running [[45 mins]] late, no apology.
The consultant, <<name:Mr Venkataraman>>, explained everything clearly.
My son's carer <<name:Shauna>> deserves a medal.
<<name:Kofi Boateng>>, the pharmacist at [[Boots]] on [[Briggate]], sorted my prescription out.
My postcode is <<postcode:wf17 5hq>> and apparently that's the wrong side of the border for the service.
<<name:nadia>> on reception was lovely as always
[[May]] I say the cleaners on [[Ward 5]] do a brilliant job.
I'm writing about my brother <<name:Stephen>>, he has learning disabilities and nobody listened to us.
<<name:Auntie Pat>> is 91 and was sent home at 2am in a taxi on her own!
<<name:Sister O'Hara>> runs a tight ship. Best ward in the hospital.
Text me on <<phone:+44 7723 456 789>> about the next group.
<<name:Zofia>> translated for my mum who only speaks Polish, thank you.
The [[Macmillan]] centre at [[Jimmy's]] is a haven.
Address: <<address:44 Harehills Avenue>>, Leeds, <<postcode:LS8 4EU>>. Tel: <<phone:0113 248 6655>>.
[[Hope]] things improve soon, staff are clearly exhausted.
I take [[75mg]] [[aspirin]], [[40mg]] [[atorvastatin]] and [[5mg]] [[ramipril]] and nobody checked.
Seen on [[03/05/2024]] at [[14:15]] by a nurse practitioner.
Date of birth <<date_of_birth:22/09/1937>> - I'm not daft, just deaf.
Our daughter <<name:Maisie-Rose>> was born at [[LGI]] in March, the midwives were amazing.
<<name:Dr Chukwu>> and <<name:Dr Lim>> both said different things.
<<name:Jean-Luc>> in physio got me walking again after my knee.
I asked for <<name:Bernadette>> by name because she knows my history.
Dad (<<name:Harold Sugden>>, <<nhs_number:485 777 3449>>) was transferred without his notes.
Thank you to <<name:Wendy>>, <<name:Carol>> and <<name:Jim>> in the [[stroke unit]].
[[Christmas]] on the ward was lovely, [[Father Christmas]] came round.
Paramedics <<name:Gaz>> and <<name:Leanne>> were so calm with my son.
The [[Citizens Advice]] advisor <<name:Rashida>> helped me appeal my [[PIP]].
My neighbour <<name:Mrs Haigh>> at number 12 found me after I fell.
The [[Frank]] truth is that the service is underfunded.
My partner <<name:Kwabena>> was turned away from the ward at visiting time.
Email <<email:Hannah.Whitaker@outlook.com>> for my consent form.
<<name:Siân>> and <<name:Rhiannon>> on the birth centre were incredible.
Called <<phone:07700 900 761>> as the letter said, it was the wrong number.
I saw the same GP, <<name:Dr Raza>>, three times and he never examined me.
[[Summer]] heat on the ward was unbearable, no fans.
<<name:Chantelle>> on the phone line at [[NHS 111]] stayed with me until the ambulance came.
The [[Harrogate]] team were kinder than the [[Leeds]] team.
From <<name:Ivy>> (my mum) and me, thank you [[Ward 9]].
[[Marie Curie]] nurse <<name:Olga>> sat with dad all night.
I was born on <<date_of_birth:19 August 1962>> and I have never been treated so badly.
<<name:Mohammed Ali Shah>> from the [[carers' centre]] visits every month.
Reception said to call back at [[8am]], then [[8:30]], then [[9]].
There's a lady called <<name:Blessing>> on [[ward 31]] who is an angel.
""".strip().splitlines()

SLOT = re.compile(r"<<(\w+):(.+?)>>|\[\[(.+?)\]\]")


def main() -> None:
    gold, rows = [], []
    for n, item in enumerate(ITEMS, 1):
        doc = f"H{n:03d}"
        text, spans, pos, out = "", [], 0, []
        for m in SLOT.finditer(item):
            out.append(item[pos:m.start()])
            if m.group(1):
                kind, value = m.group(1), m.group(2)
                out.append(value)
                for title in ("Dr. ", "Dr ", "Mr ", "Mrs ", "Sister ", "Auntie "):
                    if kind == "name" and value.startswith(title):
                        value = value[len(title):]
                spans.append((kind, value))
            else:
                out.append(m.group(3))
                spans.append(("keep", m.group(3)))
            pos = m.end()
        out.append(item[pos:])
        text = "".join(out)
        rows.append((doc, text))
        cursor = 0
        for kind, value in spans:
            at = text.find(value, cursor)
            occurrence = text[:at].count(value)
            gold.append({"file": "comments.csv", "doc": doc, "kind": kind, "text": value, "occurrence": occurrence})
            cursor = at + len(value)
    with open(HERE / "comments.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ID", "Comment"])
        w.writerows(rows)
    with open(HERE / "gold.jsonl", "w", encoding="utf-8") as f:
        for g in gold:
            f.write(json.dumps(g, ensure_ascii=False) + "\n")
    print(f"{len(rows)} comments, {len(gold)} gold spans")


if __name__ == "__main__":
    main()
