"""State scholarship track (AI for state scholars): its courses, with real lessons and quizzes."""

from __future__ import annotations

from .blocks import DIGCOMP, UNESCO, code, formula, multiple, names, numeric, p, single, tip

COURSES = [
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
