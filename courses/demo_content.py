"""The demo country's courses: real lessons with text, code samples and quizzes.

Data only (loaded by courses/demo.py). Titles, summaries and introductions come in
en / az / ru; lesson bodies are in English (their translations are copies a translator
would edit). Quiz questions are tagged with DigComp 2.2 or UNESCO AI-for-students
competences: (framework slug, competence code, level).
"""

from __future__ import annotations

DIGCOMP = "digcomp-2-2"
UNESCO = "unesco-ai-students"


def p(*paragraphs: str) -> list[dict]:
    return [{"type": "paragraph", "value": f"<p>{text}</p>"} for text in paragraphs]


def h(text: str) -> dict:
    return {"type": "heading", "value": {"text": text, "level": "h2"}}


def code(source: str, caption: str = "", language: str = "python") -> dict:
    return {"type": "code", "value": {"language": language, "code": source, "caption": caption}}


def tip(text: str, kind: str = "tip") -> dict:
    return {"type": "callout", "value": {"kind": kind, "text": f"<p>{text}</p>"}}


def formula(latex: str, caption: str = "") -> dict:
    return {"type": "formula", "value": {"latex": latex, "caption": caption}}


def single(prompt, choices, correct, competence, explanation="") -> dict:
    return {
        "kind": "single",
        "prompt": prompt,
        "choices": choices,
        "correct": [correct],
        "competence": competence,
        "explanation": explanation,
    }


def multiple(prompt, choices, correct, competence, explanation="") -> dict:
    return {
        "kind": "multiple",
        "prompt": prompt,
        "choices": choices,
        "correct": correct,
        "competence": competence,
        "explanation": explanation,
    }


def numeric(prompt, answer, tolerance, competence, explanation="") -> dict:
    return {
        "kind": "numeric",
        "prompt": prompt,
        "answer": answer,
        "tolerance": tolerance,
        "competence": competence,
        "explanation": explanation,
    }


def names(en: str, az: str, ru: str) -> dict[str, str]:
    return {"en": en, "az": az, "ru": ru}


INDEX = {
    "title": names("Curricula", "Kurikulumlar", "Учебные программы"),
    "introduction": names(
        "<p>What each track learns, and the competences it aims at.</p>",
        "<p>Hər istiqamətin nə öyrəndiyi və hansı səriştələri hədəflədiyi.</p>",
        "<p>Чему учится каждое направление и на какие компетенции оно нацелено.</p>",
    ),
}

CURRICULA = [
    {
        "slug": "digital-skills-5-9",
        "track": "school",
        "grade_band": "5-9",
        "title": names(
            "Digital skills, grades 5-9",
            "Rəqəmsal bacarıqlar, 5-9-cu siniflər",
            "Цифровые навыки, 5-9 классы",
        ),
        "summary": names(
            "Searching, evaluating and sharing information safely; first programs in Python.",
            "İnformasiyanın təhlükəsiz axtarışı, qiymətləndirilməsi və paylaşılması; "
            "Python-da ilk proqramlar.",
            "Безопасный поиск, оценка и распространение информации; первые программы на Python.",
        ),
        "targets": [(DIGCOMP, "1.1", 3), (DIGCOMP, "3.4", 3), (DIGCOMP, "4.2", 3)],
    },
    {
        "slug": "data-science-bachelor",
        "track": "university",
        "grade_band": "",
        "title": names(
            "Data science (bachelor)", "Verilənlər elmi (bakalavr)", "Наука о данных (бакалавриат)"
        ),
        "summary": names(
            "Programming, data handling and the foundations of machine learning.",
            "Proqramlaşdırma, verilənlərlə iş və maşın öyrənməsinin əsasları.",
            "Программирование, работа с данными и основы машинного обучения.",
        ),
        "targets": [(DIGCOMP, "3.4", 5), (UNESCO, "3.2", 2)],
    },
    {
        "slug": "ai-for-state-scholars",
        "track": "scholarship",
        "grade_band": "",
        "title": names(
            "AI for state scholars",
            "Dövlət təqaüdçüləri üçün süni intellekt",
            "ИИ для государственных стипендиатов",
        ),
        "summary": names(
            "Responsible use of AI tools in study and research abroad.",
            "Xaricdə təhsil və tədqiqatda süni intellekt alətlərindən məsuliyyətli istifadə.",
            "Ответственное использование инструментов ИИ в учёбе и исследованиях за рубежом.",
        ),
        "targets": [(UNESCO, "2.2", 2), (UNESCO, "1.2", 2)],
    },
]

# ---------------------------------------------------------------------------------------
# Courses. The first course of each track is the one grading's demo attaches its notebook
# exercise to (courses.demo.course_for_track), in the lesson marked "practice".
# ---------------------------------------------------------------------------------------

COURSES = [
    # ------------------------------------------------------------------ school
    {
        "curriculum": "digital-skills-5-9",
        "slug": "python-first-steps",
        "title": names("Python: first steps", "Python: ilk addımlar", "Python: первые шаги"),
        "summary": names(
            "Variables, expressions, decisions and functions, with exercises graded in seconds.",
            "Dəyişənlər, ifadələr, şərtlər və funksiyalar; tapşırıqlar saniyələr ərzində "
            "yoxlanılır.",
            "Переменные, выражения, условия и функции; задания проверяются за секунды.",
        ),
        "level": "foundation",
        "hours": 12,
        "is_open": True,
        "competences": [(DIGCOMP, "3.4")],
        "lessons": [
            {
                "slug": "variables",
                "title": names(
                    "Variables and expressions", "Dəyişənlər və ifadələr", "Переменные и выражения"
                ),
                "introduction": names(
                    "A program remembers values under names and computes new values from them.",
                    "Proqram dəyərləri adlar altında yadda saxlayır və onlardan yeni dəyərlər "
                    "hesablayır.",
                    "Программа запоминает значения под именами и вычисляет из них новые.",
                ),
                "minutes": 25,
                "rule": "quiz",
                "body": [
                    *p(
                        "A <b>variable</b> is a name for a value. When Python runs the line "
                        '<code>city = "Baku"</code>, it stores the text <i>Baku</i> and '
                        "remembers that the name <code>city</code> refers to it. From then on "
                        "you can use the name wherever you need the value.",
                        'Values have <b>types</b>. <code>"Baku"</code> is a string (text), '
                        "<code>2026</code> is an integer, <code>36.6</code> is a floating-point "
                        "number and <code>True</code> is a Boolean. The type decides what you "
                        "can do with a value: you can add two numbers, and you can join two "
                        "strings, but adding a number to a string is an error.",
                        "An <b>expression</b> combines values and names with operators and "
                        "produces a new value: <code>year + 1</code>, <code>price * 3</code>, "
                        '<code>first + " " + last</code>. Python works out the expression on '
                        "the right of <code>=</code> first, then stores the result under the "
                        "name on the left. That is why <code>count = count + 1</code> makes "
                        "sense: it takes the old count, adds one and stores the new value.",
                    ),
                    code(
                        'city = "Baku"\nyear = 2026\nnext_year = year + 1\n'
                        'print(f"{city}, {next_year}")  # Baku, 2027\n',
                        "Names for values, and an expression",
                    ),
                    tip(
                        "Names are case-sensitive: <code>Year</code> and <code>year</code> are "
                        "two different variables. Choose names that say what the value means."
                    ),
                    *p(
                        "Division deserves a closer look. <code>7 / 2</code> gives "
                        "<code>3.5</code>, a float. <code>7 // 2</code> gives <code>3</code>: "
                        "the whole part only. <code>7 % 2</code> gives <code>1</code>, the "
                        "remainder, which is handy to test whether a number is even."
                    ),
                    code(
                        "print(7 / 2)   # 3.5\nprint(7 // 2)  # 3\nprint(7 % 2)   # 1\n",
                        "Three kinds of division",
                    ),
                ],
                "quiz": {
                    "title": "Check yourself",
                    "questions": [
                        numeric(
                            "What does Python print for print(17 // 5)?",
                            3,
                            0,
                            (DIGCOMP, "3.4", 2),
                            "// keeps only the whole part of the division: 17 = 3 × 5 + 2.",
                        ),
                        single(
                            "After x = 4 and then x = x * 2 + 1, what is the value of x?",
                            ["5", "9", "10", "12"],
                            1,
                            (DIGCOMP, "3.4", 2),
                            "The right-hand side is computed first with the old x: 4 * 2 + 1.",
                        ),
                        multiple(
                            "Which of these are valid variable names in Python?",
                            ["student_name", "2nd_place", "totalScore", "my-city"],
                            [0, 2],
                            (DIGCOMP, "3.4", 2),
                            "Names start with a letter or _, and contain letters, digits and _.",
                        ),
                    ],
                },
            },
            {
                "slug": "decisions-and-functions",
                "title": names(
                    "Decisions and functions", "Şərtlər və funksiyalar", "Условия и функции"
                ),
                "introduction": names(
                    "Programs choose what to do with if, and package steps as functions.",
                    "Proqramlar if ilə nə edəcəyini seçir, addımları isə funksiyalara yığır.",
                    "Программы выбирают, что делать, с помощью if и упаковывают шаги в функции.",
                ),
                "minutes": 30,
                "rule": "quiz",
                "body": [
                    *p(
                        "An <code>if</code> statement runs a block of code only when a "
                        "condition is true. Conditions compare values: <code>==</code> (equal), "
                        "<code>!=</code> (not equal), <code>&lt;</code>, <code>&gt;=</code> and "
                        "so on. You can combine them with <code>and</code>, <code>or</code> and "
                        "<code>not</code>. The indented lines below the <code>if</code> belong "
                        "to it; Python uses indentation instead of brackets.",
                        "A <b>function</b> gives a name to a few steps so that you can reuse "
                        "them. It takes <b>parameters</b>, does its work and "
                        "<code>return</code>s a result. Good functions do one thing, have a name "
                        "that says what that is, and do not depend on variables outside them.",
                    ),
                    code(
                        "def grade(points):\n"
                        '    """The school grade (2-5) for a test out of 100 points."""\n'
                        "    if points >= 85:\n        return 5\n"
                        "    elif points >= 70:\n        return 4\n"
                        "    elif points >= 50:\n        return 3\n"
                        "    return 2\n\n\nprint(grade(91), grade(64), grade(12))  # 5 3 2\n",
                        "A function that decides",
                    ),
                    *p(
                        "Python checks the conditions from top to bottom and stops at the first "
                        "true one, so the order matters: if the test for 50 came first, every "
                        "score above 50 would get a 3. When you write such chains, start with "
                        "the strictest condition.",
                        "The password exercise of this course asks you to write a function "
                        "like this one: it receives a password and returns "
                        "<code>True</code> or <code>False</code> depending on four rules.",
                    ),
                    tip(
                        "Test a function with values at the edges: for grade(), try 85, 84, 70 "
                        "and 69. Most mistakes hide at the boundaries.",
                        "info",
                    ),
                ],
                "quiz": {
                    "title": "Check yourself",
                    "questions": [
                        single(
                            "What does grade(70) return with the function above?",
                            ["5", "4", "3", "2"],
                            1,
                            (DIGCOMP, "3.4", 3),
                            "70 is not >= 85, but it is >= 70: the second branch returns 4.",
                        ),
                        single(
                            "Which keyword hands a function's result back to the caller?",
                            ["print", "def", "return", "yield to"],
                            2,
                            (DIGCOMP, "3.4", 2),
                        ),
                        numeric(
                            "How many of these are True: 3 > 2, 5 == 5.0, 'a' != 'a', not False?",
                            3,
                            0,
                            (DIGCOMP, "3.4", 3),
                            "3 > 2, 5 == 5.0 and not False are True; 'a' != 'a' is False.",
                        ),
                    ],
                },
            },
            {
                "slug": "practice-strong-passwords",
                "practice": True,
                "title": names(
                    "Practice: strong passwords",
                    "Təcrübə: güclü parollar",
                    "Практика: надёжные пароли",
                ),
                "introduction": names(
                    "Write a function that checks a password as websites do; it is graded in "
                    "seconds.",
                    "Veb saytlar kimi parolu yoxlayan funksiya yazın; saniyələr ərzində "
                    "qiymətləndirilir.",
                    "Напишите функцию, которая проверяет пароль, как это делают сайты; "
                    "проверка занимает секунды.",
                ),
                "minutes": 40,
                "rule": "read",
                "body": [
                    *p(
                        "A strong password is long and hard to guess. In this practice lesson "
                        "you turn the rules into code: at least twelve characters, a lower-case "
                        "letter, an upper-case letter and a digit.",
                        "Solve the notebook exercise below in the browser or download it, work "
                        "in Jupyter and upload it. Hidden tests check your function with many "
                        "passwords, including tricky ones; you see which rules your function "
                        "gets wrong, not the tests themselves.",
                    ),
                    code(
                        "def has_digit(text):\n    return any(ch.isdigit() for ch in text)\n\n"
                        'print(has_digit("Baku2026"))  # True\n',
                        "any() is True when at least one item is",
                    ),
                ],
            },
        ],
    },
    {
        "curriculum": "digital-skills-5-9",
        "slug": "safe-online",
        "title": names(
            "Staying safe online", "İnternetdə təhlükəsizlik", "Безопасность в интернете"
        ),
        "summary": names(
            "Passwords, phishing, updates and privacy: the habits that keep accounts safe.",
            "Parollar, fişinq, yeniləmələr və məxfilik: hesabları qoruyan vərdişlər.",
            "Пароли, фишинг, обновления и приватность: привычки, которые защищают аккаунты.",
        ),
        "level": "foundation",
        "hours": 6,
        "is_open": True,
        "competences": [(DIGCOMP, "4.1"), (DIGCOMP, "4.2")],
        "lessons": [
            {
                "slug": "passwords-and-2fa",
                "title": names(
                    "Passwords and two-factor sign-in",
                    "Parollar və iki faktorlu giriş",
                    "Пароли и двухфакторный вход",
                ),
                "introduction": names(
                    "Why long passphrases beat clever tricks, and what a second factor adds.",
                    "Uzun parol ifadələri niyə hiylələrdən üstündür və ikinci faktor nə verir.",
                    "Почему длинные парольные фразы лучше хитростей и что даёт второй фактор.",
                ),
                "minutes": 20,
                "rule": "quiz",
                "body": [
                    *p(
                        "Attackers rarely guess passwords one by one. They try millions of "
                        "common passwords and passwords leaked from other websites. That is why "
                        "two habits matter most: a <b>long</b> password, and a <b>different</b> "
                        "password for every important account.",
                        "A passphrase of four or five unrelated words, such as "
                        "<i>river-lamp-orange-violin</i>, is long, easy to remember and hard to "
                        "guess. Replacing letters with look-alike symbols (<i>P@ssw0rd</i>) "
                        "does not help: those tricks are the first ones attackers try.",
                        "<b>Two-factor authentication</b> (2FA) asks for something you have, "
                        "such as a code from an app on your phone, in addition to the password. "
                        "Even if your password leaks, a stranger cannot sign in without the "
                        "second factor. Turn it on for e-mail first: whoever controls your "
                        "e-mail can reset every other password.",
                    ),
                    tip(
                        "A password manager remembers a different strong password for every "
                        "site, so you only need to remember one good passphrase.",
                    ),
                ],
                "quiz": {
                    "title": "Check yourself",
                    "questions": [
                        single(
                            "Which password is the strongest?",
                            ["P@ssw0rd!", "Aysel2011", "river-lamp-orange-violin", "qwerty123456"],
                            2,
                            (DIGCOMP, "4.1", 2),
                            "Length and unpredictability matter most; the others are on every "
                            "attacker's list.",
                        ),
                        multiple(
                            "Which of these protect your account if your password leaks?",
                            [
                                "Two-factor authentication",
                                "A different password on every site",
                                "Adding ! at the end",
                                "Writing the password in your school notebook",
                            ],
                            [0, 1],
                            (DIGCOMP, "4.2", 2),
                        ),
                    ],
                },
            },
            {
                "slug": "recognising-phishing",
                "title": names("Recognising phishing", "Fişinqi tanımaq", "Как распознать фишинг"),
                "introduction": names(
                    "Messages that pretend to be your bank, school or friend, and how to check.",
                    "Bankınız, məktəbiniz və ya dostunuz kimi görünən mesajlar və onları necə "
                    "yoxlamaq.",
                    "Сообщения, притворяющиеся банком, школой или другом, и как их проверить.",
                ),
                "minutes": 20,
                "rule": "quiz",
                "body": [
                    *p(
                        "<b>Phishing</b> is a message that tries to make you act before you "
                        "think: click a link, open a file, or type your password on a fake page. "
                        "It often creates urgency (<i>your account will be closed today</i>) or "
                        "promises a prize.",
                        "Check the sender's real address, not only the display name. Hover over "
                        "a link (or long-press it on a phone) to see where it really leads: "
                        "<i>edu-gov.az.login-check.com</i> is not a government site, because "
                        "the part that counts is the end: <i>login-check.com</i>.",
                        "When in doubt, do not use the link in the message. Open the website "
                        "yourself, or call the person or organisation on a number you already "
                        "know. Report the message to your teacher or the service it imitates.",
                    ),
                    tip("No real service asks for your password by e-mail or chat.", "warning"),
                ],
                "quiz": {
                    "title": "Check yourself",
                    "questions": [
                        single(
                            "A link reads https://www.kapitalbank.az.secure-login.net/ — whose "
                            "site does it open?",
                            [
                                "Kapital Bank's",
                                "secure-login.net's",
                                "The government's",
                                "Your own",
                            ],
                            1,
                            (DIGCOMP, "4.2", 3),
                            "The registered domain is the end of the host name: secure-login.net.",
                        ),
                        multiple(
                            "Which signs suggest a message is phishing?",
                            [
                                "It demands action within an hour",
                                "It asks for your password",
                                "It comes from a teacher you know, about homework you expected",
                                "The sender's address does not match the organisation",
                            ],
                            [0, 1, 3],
                            (DIGCOMP, "4.2", 3),
                        ),
                    ],
                },
            },
        ],
    },
    {
        "curriculum": "digital-skills-5-9",
        "slug": "finding-and-checking-information",
        "title": names(
            "Finding and checking information",
            "İnformasiyanın tapılması və yoxlanılması",
            "Поиск и проверка информации",
        ),
        "summary": names(
            "Search well, judge sources, and tell facts from opinions and fakes.",
            "Yaxşı axtarın, mənbələri qiymətləndirin, faktı fikirdən və saxtadan ayırın.",
            "Ищите эффективно, оценивайте источники, отличайте факты от мнений и фейков.",
        ),
        "level": "foundation",
        "hours": 4,
        "is_open": False,
        "competences": [(DIGCOMP, "1.1"), (DIGCOMP, "1.2")],
        "lessons": [
            {
                "slug": "searching-well",
                "title": names("Searching well", "Düzgün axtarış", "Как искать"),
                "introduction": names(
                    "Search operators and keywords that find what you need faster.",
                    "Lazım olanı daha tez tapan açar sözlər və axtarış operatorları.",
                    "Ключевые слова и операторы поиска, которые быстрее находят нужное.",
                ),
                "minutes": 20,
                "rule": "quiz",
                "body": [
                    *p(
                        "Search engines match words, not questions. Start with the two or three "
                        "words that matter most, then add or remove words depending on what you "
                        "get. <i>Caspian Sea depth</i> works better than <i>how deep is the "
                        "sea next to Baku</i>.",
                        "Operators narrow a search: quotation marks find an exact phrase "
                        '(<i>"digital skills"</i>), a minus sign excludes a word '
                        "(<i>jaguar -car</i>), and <i>site:</i> searches one website "
                        "(<i>site:edu.gov.az curriculum</i>).",
                        "Look beyond the first result. Advertisements come first and are "
                        "marked as such; the most useful page is often the third or fourth.",
                    ),
                ],
                "quiz": {
                    "title": "Check yourself",
                    "questions": [
                        single(
                            "Which search finds pages about the animal, not the car?",
                            ["jaguar car", "jaguar -car", '"jaguar car"', "site:jaguar"],
                            1,
                            (DIGCOMP, "1.1", 2),
                        ),
                    ],
                },
            },
            {
                "slug": "judging-sources",
                "title": names(
                    "Judging sources", "Mənbələrin qiymətləndirilməsi", "Оценка источников"
                ),
                "introduction": names(
                    "Who wrote it, when, why, and can you confirm it elsewhere?",
                    "Kim yazıb, nə vaxt, nə üçün və bunu başqa yerdə təsdiqləmək olarmı?",
                    "Кто написал, когда, зачем и можно ли это подтвердить в другом месте?",
                ),
                "minutes": 20,
                "rule": "read",
                "body": [
                    *p(
                        "Before you trust or share a page, ask four questions. <b>Who</b> "
                        "published it, and are they in a position to know? <b>When</b> was it "
                        "written, and is it still true? <b>Why</b> was it published: to inform, "
                        "to sell, to persuade? <b>Where else</b> can you find the same fact?",
                        "Lateral reading means leaving the page to check it: open a new tab and "
                        "search for the author or the organisation. Professional fact-checkers "
                        "do this within seconds instead of studying the page itself.",
                        "Pictures can mislead too. A reverse image search shows where a photo "
                        'appeared first; many "breaking news" photos are years old.',
                    ),
                ],
            },
        ],
    },
    # ------------------------------------------------------------------ university
    {
        "curriculum": "data-science-bachelor",
        "slug": "python-for-data-analysis",
        "title": names(
            "Python for data analysis",
            "Verilənlərin təhlili üçün Python",
            "Python для анализа данных",
        ),
        "summary": names(
            "Lists, dictionaries and comprehensions to load, clean and summarise measurements.",
            "Ölçmələri yükləmək, təmizləmək və ümumiləşdirmək üçün siyahılar, lüğətlər və "
            "generatorlar.",
            "Списки, словари и генераторы для загрузки, очистки и обобщения измерений.",
        ),
        "level": "intermediate",
        "hours": 20,
        "is_open": False,
        "competences": [(DIGCOMP, "3.4"), (DIGCOMP, "1.3")],
        "lessons": [
            {
                "slug": "collections",
                "title": names(
                    "Lists and dictionaries", "Siyahılar və lüğətlər", "Списки и словари"
                ),
                "introduction": names(
                    "The two containers every analysis starts from.",
                    "Hər bir təhlilin başladığı iki konteyner.",
                    "Два контейнера, с которых начинается любой анализ.",
                ),
                "minutes": 35,
                "rule": "quiz",
                "body": [
                    *p(
                        "A <b>list</b> keeps values in order: a day's temperature readings, the "
                        "names in a group. You reach an item by its position, starting at 0, "
                        "and negative positions count from the end: <code>readings[-1]</code> "
                        "is the last one.",
                        "A <b>dictionary</b> maps keys to values: a station's name to its "
                        "readings, a student's id to their score. Looking up a key is fast "
                        "however large the dictionary is, which makes dictionaries the natural "
                        "way to group data.",
                        "A <b>comprehension</b> builds a new list from an old one in a single "
                        "readable line, optionally keeping only some items.",
                    ),
                    code(
                        "readings = [21.5, 22.0, None, 23.4, -999.0, 22.8]\n"
                        "valid = [r for r in readings if r is not None and r > -50]\n"
                        "mean = sum(valid) / len(valid)\n"
                        'print(f"{len(valid)} valid readings, mean {mean:.2f}")\n',
                        "Dropping missing and impossible values",
                    ),
                    formula(r"\bar{x} = \frac{1}{n} \sum_{i=1}^{n} x_i", "The mean of n values"),
                    code(
                        "by_station = {}\n"
                        'for station, value in [("Baku", 22.0), ("Ganja", 18.5), ("Baku", 23.0)]:\n'
                        "    by_station.setdefault(station, []).append(value)\n"
                        "print(by_station)  # {'Baku': [22.0, 23.0], 'Ganja': [18.5]}\n",
                        "Grouping with a dictionary",
                    ),
                ],
                "quiz": {
                    "title": "Check yourself",
                    "questions": [
                        numeric(
                            "What is the mean of the valid readings in the first example "
                            "(two decimals)?",
                            22.43,
                            0.01,
                            (DIGCOMP, "3.4", 4),
                            "(21.5 + 22.0 + 23.4 + 22.8) / 4 = 22.425.",
                        ),
                        single(
                            "readings = [4, 8, 15, 16, 23, 42]. What is readings[-2]?",
                            ["16", "23", "42", "15"],
                            1,
                            (DIGCOMP, "3.4", 3),
                        ),
                        single(
                            'Which structure answers "what are the readings of station X?" '
                            "fastest?",
                            [
                                "A list of tuples",
                                "A dictionary keyed by station",
                                "A string",
                                "A set of readings",
                            ],
                            1,
                            (DIGCOMP, "1.3", 4),
                        ),
                    ],
                },
            },
            {
                "slug": "practice-sensor-cleaning",
                "practice": True,
                "title": names(
                    "Practice: cleaning sensor data",
                    "Təcrübə: sensor verilənlərinin təmizlənməsi",
                    "Практика: очистка данных датчиков",
                ),
                "introduction": names(
                    "Clean a day of sensor readings and summarise them; graded in seconds.",
                    "Bir günlük sensor göstəricilərini təmizləyin və ümumiləşdirin.",
                    "Очистите показания датчиков за день и обобщите их.",
                ),
                "minutes": 60,
                "rule": "read",
                "body": [
                    *p(
                        "Real measurements are messy: sensors drop out, send placeholder values "
                        "such as -999, or report the same reading twice. Before any statistics, "
                        "decide which values are impossible and remove them, and say in your "
                        "report how many you removed.",
                        "The notebook exercise below gives you a day of readings from stations "
                        "in several regions. Write the functions it asks for; the hidden tests "
                        "check them on other days of data.",
                    ),
                ],
            },
        ],
    },
    {
        "curriculum": "data-science-bachelor",
        "slug": "foundations-of-machine-learning",
        "title": names(
            "Foundations of machine learning",
            "Maşın öyrənməsinin əsasları",
            "Основы машинного обучения",
        ),
        "summary": names(
            "What a model learns from data, how to test it honestly, and how to read its errors.",
            "Model verilənlərdən nə öyrənir, onu necə dürüst yoxlamaq və səhvlərini necə oxumaq.",
            "Чему модель учится на данных, как честно её проверить и как читать её ошибки.",
        ),
        "level": "intermediate",
        "hours": 24,
        "is_open": True,
        "competences": [(UNESCO, "3.1"), (UNESCO, "3.2")],
        "lessons": [
            {
                "slug": "training-and-testing",
                "title": names("Training and testing", "Öyrətmə və yoxlama", "Обучение и проверка"),
                "introduction": names(
                    "Why a model is always judged on data it has never seen.",
                    "Model niyə həmişə görmədiyi verilənlər üzərində qiymətləndirilir.",
                    "Почему модель всегда оценивают на данных, которых она не видела.",
                ),
                "minutes": 40,
                "rule": "quiz",
                "body": [
                    *p(
                        "A machine-learning model is a function whose details are fitted to "
                        "examples. A spam filter sees thousands of messages labelled "
                        "<i>spam</i> or <i>not spam</i> and adjusts itself until its answers "
                        "match the labels as well as possible.",
                        "Matching the examples it was trained on proves little: a model can "
                        "simply memorise them. This is <b>overfitting</b>. So we keep a part of "
                        "the data aside, the <b>test set</b>, and only measure the model on it "
                        "at the end. The test set plays the role of the future.",
                        "A common split is 80 % for training and 20 % for testing, chosen at "
                        "random. If the data has an order in time, test on the most recent "
                        "part instead: predicting the past from the future is cheating.",
                    ),
                    code(
                        "import random\n\n"
                        "def split(rows, test_share=0.2, seed=42):\n"
                        "    rows = rows[:]\n"
                        "    random.Random(seed).shuffle(rows)\n"
                        "    cut = int(len(rows) * (1 - test_share))\n"
                        "    return rows[:cut], rows[cut:]\n\n"
                        "train, test = split(list(range(100)))\n"
                        "print(len(train), len(test))  # 80 20\n",
                        "A reproducible random split",
                    ),
                    formula(
                        r"\text{accuracy} = "
                        r"\frac{\text{correct predictions}}{\text{all predictions}}",
                        "",
                    ),
                ],
                "quiz": {
                    "title": "Check yourself",
                    "questions": [
                        single(
                            "A model scores 99 % on its training data and 61 % on the test "
                            "set. What is the most likely problem?",
                            [
                                "Underfitting",
                                "Overfitting",
                                "Too much test data",
                                "A bug in accuracy",
                            ],
                            1,
                            (UNESCO, "3.1", 1),
                        ),
                        numeric(
                            "A classifier is right on 172 of 200 test messages. What is its "
                            "accuracy in percent?",
                            86,
                            0.01,
                            (UNESCO, "3.2", 2),
                            "172 / 200 = 0.86.",
                        ),
                    ],
                },
            },
            {
                "slug": "reading-errors",
                "title": names(
                    "Reading a model's errors",
                    "Modelin səhvlərini oxumaq",
                    "Как читать ошибки модели",
                ),
                "introduction": names(
                    "Precision, recall and the confusion matrix.",
                    "Dəqiqlik, tamlıq və qarışıqlıq matrisi.",
                    "Точность, полнота и матрица ошибок.",
                ),
                "minutes": 40,
                "rule": "quiz",
                "body": [
                    *p(
                        "Accuracy hides what kind of mistakes a model makes. If 1 % of "
                        "patients have a disease, a model that always answers <i>healthy</i> "
                        "is 99 % accurate and completely useless.",
                        "The <b>confusion matrix</b> counts true positives (TP), false "
                        "positives (FP), false negatives (FN) and true negatives (TN). "
                        "<b>Precision</b> asks: of the cases the model flagged, how many were "
                        "real? <b>Recall</b> asks: of the real cases, how many did it find?",
                    ),
                    formula(
                        r"\text{precision} = \frac{TP}{TP + FP} \qquad "
                        r"\text{recall} = \frac{TP}{TP + FN}"
                    ),
                    *p(
                        "Which one matters more depends on the cost of each mistake. Missing a "
                        "disease (low recall) is worse than a second test for a healthy person "
                        "(lower precision); for a spam filter, losing a real e-mail is worse "
                        "than letting one spam through."
                    ),
                ],
                "quiz": {
                    "title": "Check yourself",
                    "questions": [
                        numeric(
                            "TP = 30, FP = 10, FN = 20. What is the precision (0 to 1)?",
                            0.75,
                            0.005,
                            (UNESCO, "3.2", 2),
                            "30 / (30 + 10) = 0.75.",
                        ),
                        numeric(
                            "With the same counts, what is the recall (0 to 1)?",
                            0.6,
                            0.005,
                            (UNESCO, "3.2", 2),
                            "30 / (30 + 20) = 0.6.",
                        ),
                    ],
                },
            },
        ],
    },
    # ------------------------------------------------------------------ scholarship
    {
        "curriculum": "ai-for-state-scholars",
        "slug": "ai-tools-for-study-and-research",
        "title": names(
            "AI tools for study and research",
            "Təhsil və tədqiqat üçün süni intellekt alətləri",
            "Инструменты ИИ для учёбы и исследований",
        ),
        "summary": names(
            "How AI tools work, where they fail, and how to use them honestly at a foreign "
            "university.",
            "Süni intellekt alətləri necə işləyir, harada yanılır və xarici universitetdə "
            "onlardan necə dürüst istifadə etmək.",
            "Как работают инструменты ИИ, где они ошибаются и как честно пользоваться ими "
            "в зарубежном университете.",
        ),
        "level": "intermediate",
        "hours": 10,
        "is_open": False,
        "competences": [(UNESCO, "2.2"), (UNESCO, "3.1"), (UNESCO, "1.2")],
        "lessons": [
            {
                "slug": "how-ai-classifies",
                "title": names(
                    "How AI classifies: nearest neighbours",
                    "Süni intellekt necə təsnif edir: ən yaxın qonşular",
                    "Как ИИ классифицирует: ближайшие соседи",
                ),
                "introduction": names(
                    "The simplest learning method, worked by hand.",
                    "Ən sadə öyrənmə üsulu, əl ilə.",
                    "Простейший метод обучения, вручную.",
                ),
                "minutes": 30,
                "rule": "quiz",
                "body": [
                    *p(
                        "The <b>k-nearest neighbours</b> method classifies a new example by "
                        "looking at the k labelled examples closest to it and taking the "
                        "majority label. It has no training step at all: the examples are the "
                        "model.",
                        '"Closest" needs a distance. For two measurements such as height and '
                        "weight, the usual choice is the straight-line (Euclidean) distance. "
                        "Because the measurements have different units, they are usually "
                        "scaled first, or one of them would dominate.",
                    ),
                    formula(r"d(a, b) = \sqrt{(a_1 - b_1)^2 + (a_2 - b_2)^2}"),
                    code(
                        "from math import dist\n\n"
                        "examples = [((1, 1), 'A'), ((2, 1), 'A'), ((5, 4), 'B'), ((6, 5), 'B')]\n"
                        "new = (2, 2)\n"
                        "nearest = sorted(examples, key=lambda e: dist(e[0], new))[:3]\n"
                        "labels = [label for _, label in nearest]\n"
                        "print(max(set(labels), key=labels.count))  # A\n",
                        "Three nearest neighbours",
                    ),
                    tip(
                        "Large language models are far more complex, but share the idea: they "
                        "predict what is likely given the examples they learned from. Likely is "
                        "not the same as true.",
                        "info",
                    ),
                ],
                "quiz": {
                    "title": "Check yourself",
                    "questions": [
                        numeric(
                            "What is the distance between the points (1, 2) and (4, 6)?",
                            5,
                            0.001,
                            (UNESCO, "3.1", 1),
                            "√(3² + 4²) = √25 = 5.",
                        ),
                        single(
                            "With k = 3, the nearest labels are A, B, B. What does the method "
                            "predict?",
                            ["A", "B", "No answer", "A and B"],
                            1,
                            (UNESCO, "3.1", 1),
                        ),
                    ],
                },
            },
            {
                "slug": "using-ai-honestly",
                "title": names(
                    "Using AI honestly in your studies",
                    "Təhsildə süni intellektdən dürüst istifadə",
                    "Честное использование ИИ в учёбе",
                ),
                "introduction": names(
                    "Academic integrity rules abroad, citing AI help, and checking its output.",
                    "Xaricdə akademik dürüstlük qaydaları, süni intellekt yardımına istinad və "
                    "onun nəticələrinin yoxlanılması.",
                    "Правила академической честности за рубежом, ссылки на помощь ИИ и проверка "
                    "его ответов.",
                ),
                "minutes": 25,
                "rule": "quiz",
                "body": [
                    *p(
                        "Universities differ in what they allow. Some courses forbid AI tools "
                        "in assessed work, some allow them for brainstorming or language "
                        "editing, and most require you to say how you used them. Read the "
                        "course rules first; when they are unclear, ask the lecturer in "
                        "writing.",
                        "AI tools produce fluent text that can be wrong, and they invent "
                        "references that do not exist. Every fact and every citation you take "
                        "from them must be checked in the original source. You remain the "
                        "author, and you are responsible for every sentence you hand in.",
                        "Never paste personal data, unpublished research data or confidential "
                        "documents into an online AI tool: what you type may be stored and used "
                        "to train future models.",
                    ),
                    tip(
                        "A good habit: keep a short log of the prompts you used and what you "
                        "kept, and attach it to your work if the rules ask for disclosure.",
                    ),
                ],
                "quiz": {
                    "title": "Check yourself",
                    "questions": [
                        multiple(
                            "Which uses are responsible by default, whatever the course rules?",
                            [
                                "Checking every reference an AI tool suggests",
                                "Pasting a classmate's unpublished data into a chatbot",
                                "Saying in your work how you used AI",
                                "Submitting AI text as your own without reading it",
                            ],
                            [0, 2],
                            (UNESCO, "2.2", 2),
                        ),
                        single(
                            "Who is accountable for the content of an essay written with AI help?",
                            [
                                "The AI company",
                                "The student who submits it",
                                "Nobody",
                                "The university",
                            ],
                            1,
                            (UNESCO, "1.2", 2),
                        ),
                    ],
                },
            },
            {
                "slug": "practice-knn-by-hand",
                "practice": True,
                "title": names(
                    "Practice: nearest neighbours by hand",
                    "Təcrübə: ən yaxın qonşular əl ilə",
                    "Практика: ближайшие соседи вручную",
                ),
                "introduction": names(
                    "Implement k-nearest neighbours in plain Python; graded in seconds.",
                    "k-ən yaxın qonşular üsulunu sadə Python-da yazın.",
                    "Реализуйте метод k ближайших соседей на чистом Python.",
                ),
                "minutes": 45,
                "rule": "read",
                "body": [
                    *p(
                        "Writing a method yourself is the best way to understand its limits. "
                        "In the notebook below you implement the distance, the search for the "
                        "k nearest examples and the majority vote, then try the classifier on "
                        "a small data set.",
                    ),
                ],
            },
        ],
    },
    {
        "curriculum": "ai-for-state-scholars",
        "slug": "cyber-hygiene-abroad",
        "title": names("Cyber hygiene abroad", "Xaricdə kibergigiyena", "Кибергигиена за рубежом"),
        "summary": names(
            "Protect your accounts, devices and research data while studying in another country.",
            "Başqa ölkədə təhsil alarkən hesablarınızı, cihazlarınızı və tədqiqat "
            "verilənlərinizi qoruyun.",
            "Защитите аккаунты, устройства и исследовательские данные во время учёбы "
            "в другой стране.",
        ),
        "level": "foundation",
        "hours": 5,
        "is_open": True,
        "competences": [(DIGCOMP, "4.1"), (DIGCOMP, "4.2")],
        "lessons": [
            {
                "slug": "devices-and-networks",
                "title": names(
                    "Devices and networks on the move",
                    "Səfərdə cihazlar və şəbəkələr",
                    "Устройства и сети в дороге",
                ),
                "introduction": names(
                    "Updates, encryption, public Wi-Fi and lost laptops.",
                    "Yeniləmələr, şifrələmə, ictimai Wi-Fi və itirilmiş noutbuklar.",
                    "Обновления, шифрование, публичный Wi-Fi и потерянные ноутбуки.",
                ),
                "minutes": 25,
                "rule": "quiz",
                "body": [
                    *p(
                        "Most successful attacks use weaknesses that already have a fix. "
                        "Install updates for the operating system, the browser and your apps "
                        "as soon as they come out; turn on automatic updates where you can.",
                        "Turn on <b>full-disk encryption</b> (BitLocker on Windows, FileVault "
                        "on macOS, the default on modern phones) and a screen lock. A lost "
                        "laptop is then a lost device, not a leak of your research and your "
                        "passport scans.",
                        "Public Wi-Fi in dormitories, cafés and airports is shared with "
                        "strangers. Websites that use HTTPS protect what you send, but prefer "
                        "your university's network or its VPN for university systems, and "
                        "never ignore a browser warning about a certificate.",
                    ),
                    tip(
                        "Back up your thesis in two places, one of them not in your bag.", "warning"
                    ),
                ],
                "quiz": {
                    "title": "Check yourself",
                    "questions": [
                        single(
                            "Your laptop with your thesis is stolen. What protects the data on it?",
                            [
                                "A strong Wi-Fi password",
                                "Full-disk encryption",
                                "An antivirus",
                                "Private browsing",
                            ],
                            1,
                            (DIGCOMP, "4.1", 3),
                        ),
                        multiple(
                            "Which habits reduce risk on public Wi-Fi?",
                            [
                                "Using the university's VPN",
                                "Clicking through certificate warnings",
                                "Checking that sites use HTTPS",
                                "Sharing files with everyone on the network",
                            ],
                            [0, 2],
                            (DIGCOMP, "4.1", 3),
                        ),
                    ],
                },
            },
            {
                "slug": "research-data-and-privacy",
                "title": names(
                    "Research data and privacy",
                    "Tədqiqat verilənləri və məxfilik",
                    "Исследовательские данные и приватность",
                ),
                "introduction": names(
                    "Personal data in research, GDPR in Europe, and what to share.",
                    "Tədqiqatda şəxsi verilənlər, Avropada GDPR və nəyi paylaşmaq olar.",
                    "Персональные данные в исследованиях, GDPR в Европе и чем можно делиться.",
                ),
                "minutes": 25,
                "rule": "read",
                "body": [
                    *p(
                        "If your research involves people, such as surveys, interviews or "
                        "health records, you handle <b>personal data</b>. In the European Union "
                        "the GDPR applies: collect only what you need, say why you collect it, "
                        "keep it secure and delete it when the purpose is fulfilled.",
                        "Pseudonymise early: replace names with codes and keep the key "
                        "separately. Store data where your university says, never in a "
                        "personal cloud account or a messaging app.",
                        "Before you publish or share a data set, check that nobody can be "
                        "recognised from it, including through combinations such as age, town "
                        "and profession.",
                    ),
                ],
            },
        ],
    },
]
