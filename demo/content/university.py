"""University track (data science bachelor): its courses, with real lessons and quizzes."""

from __future__ import annotations

from .blocks import DIGCOMP, UNESCO, code, formula, names, numeric, p, single

COURSES = [
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
]
