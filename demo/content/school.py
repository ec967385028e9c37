"""School track (grades 5-9): its courses, with real lessons and quizzes."""

from __future__ import annotations

from .blocks import DIGCOMP, code, multiple, names, numeric, p, single, tip

COURSES = [
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
]
