"""The "Data and AI" course: pandas, matplotlib and scikit-learn on a real data file.

It lives in the university curriculum (data science bachelor) and is shared with the
scholarship track: demo.courses assigns it to the cohorts of both. Its three practice
lessons carry the notebook exercises of demo/notebooks/air-quality/ (an nbgrader assignment
folder: three notebooks and the measurements.csv they read), attached by demo.grading.
"""

from __future__ import annotations

from .blocks import DIGCOMP, UNESCO, code, formula, names, numeric, p, single, tip

COURSE_SLUG = "data-and-ai"

COURSES = [
    {
        "curriculum": "data-science-bachelor",
        "shared_with": ["scholarship"],
        "slug": COURSE_SLUG,
        "title": names("Data and AI", "Verilənlər və süni intellekt", "Данные и ИИ"),
        "summary": names(
            "Real measurements with pandas, plots with matplotlib and a first model with "
            "scikit-learn, on a year of Baku's air quality.",
            "Bakının hava keyfiyyəti verilənləri üzərində pandas ilə real ölçmələr, "
            "matplotlib ilə qrafiklər və scikit-learn ilə ilk model.",
            "Реальные измерения в pandas, графики в matplotlib и первая модель в "
            "scikit-learn на данных о качестве воздуха в Баку.",
        ),
        "level": "intermediate",
        "hours": 16,
        "is_open": False,
        "competences": [(DIGCOMP, "1.3"), (DIGCOMP, "3.4"), (UNESCO, "3.2")],
        "lessons": [
            {
                "slug": "tables-with-pandas",
                "title": names("Tables with pandas", "pandas ilə cədvəllər", "Таблицы в pandas"),
                "introduction": names(
                    "Read a CSV file, group its rows and summarise each group.",
                    "CSV faylını oxuyun, sətirləri qruplaşdırın və hər qrupu ümumiləşdirin.",
                    "Прочитайте CSV-файл, сгруппируйте строки и обобщите каждую группу.",
                ),
                "minutes": 40,
                "rule": "quiz",
                "body": [
                    *p(
                        "A <b>DataFrame</b> is a table: named columns, one row per observation. "
                        "<code>pd.read_csv</code> reads one from a CSV file, guessing each "
                        "column's type; an empty field becomes <code>NaN</code>, a missing "
                        "value.",
                        "Most questions about a table are answered by <b>split, apply, "
                        "combine</b>: split the rows into groups (one per district), apply a "
                        "summary to each group (the mean), combine the results into a new "
                        "table. In pandas that is one line with <code>groupby</code>.",
                        "Summaries such as <code>mean</code> and <code>sum</code> leave missing "
                        "values out. That is usually right, but say in your report how many "
                        "values were missing: a mean of 3 months is not a mean of 12.",
                    ),
                    code(
                        "import pandas as pd\n\n"
                        'df = pd.read_csv("measurements.csv")\n'
                        'by_district = df.groupby("district")["pm25"].mean()\n'
                        "print(by_district.sort_values(ascending=False).round(1))\n"
                        'print(df["pm25"].isna().sum(), "months without a reading")\n',
                        "Mean PM2.5 per district, highest first",
                    ),
                    tip(
                        "A boolean Series can be summed: <code>(df['pm25'] &gt; 25).sum()</code> "
                        "counts the months above 25."
                    ),
                ],
                "quiz": {
                    "title": "Check yourself",
                    "questions": [
                        single(
                            "The column pm25 has some empty fields. What does "
                            "df['pm25'].mean() do with them?",
                            [
                                "Leaves them out",
                                "Counts them as 0",
                                "Returns NaN",
                                "Raises an error",
                            ],
                            0,
                            (DIGCOMP, "1.3", 4),
                        ),
                        numeric(
                            "A district's readings are 20, 30, an empty field and 40. What mean "
                            "does pandas report?",
                            30,
                            0.01,
                            (DIGCOMP, "1.3", 4),
                            "(20 + 30 + 40) / 3 = 30: the missing month is left out.",
                        ),
                        single(
                            "Which call gives one value per district: its mean PM2.5?",
                            [
                                'df.groupby("district")["pm25"].mean()',
                                'df["pm25"].mean()',
                                'df.sort_values("district")',
                                'df["district"].value_counts()',
                            ],
                            0,
                            (DIGCOMP, "3.4", 4),
                        ),
                    ],
                },
            },
            {
                "slug": "practice-air-quality-by-district",
                "title": names(
                    "Practice: air quality by district",
                    "Təcrübə: rayonlar üzrə hava keyfiyyəti",
                    "Практика: качество воздуха по районам",
                ),
                "introduction": names(
                    "Two years of measurements, eight districts, one limit.",
                    "İki illik ölçmələr, səkkiz rayon, bir hədd.",
                    "Два года измерений, восемь районов, один предел.",
                ),
                "minutes": 45,
                "rule": "read",
                "body": [
                    *p(
                        "The file <code>measurements.csv</code> holds the monthly means of "
                        "Baku's air-quality stations for 2024 and 2025: fine particles "
                        "(PM2.5), nitrogen dioxide, the temperature and the wind, by district.",
                        "The WHO's second interim target for PM2.5 is an annual mean of "
                        "25 µg/m³. Download the notebook with its data file, write the two "
                        "functions it asks for, and submit: the hidden tests check them on "
                        "other tables too, including missing values.",
                    ),
                ],
            },
            {
                "slug": "plots-that-answer-a-question",
                "title": names(
                    "Plots that answer a question",
                    "Suala cavab verən qrafiklər",
                    "Графики, которые отвечают на вопрос",
                ),
                "introduction": names(
                    "A histogram shows how values spread; a line marks the limit.",
                    "Histoqram qiymətlərin necə paylandığını göstərir; xətt həddi qeyd edir.",
                    "Гистограмма показывает распределение значений; линия отмечает предел.",
                ),
                "minutes": 40,
                "rule": "read",
                "body": [
                    *p(
                        "A mean hides how values spread. A <b>histogram</b> counts how many "
                        "values fall in each interval (a <i>bin</i>), so you see at once "
                        "whether most months are close to the limit or a few are far above it.",
                        "Choose bins a reader can follow (5 µg/m³ wide, starting at 0), label "
                        "both axes with their units, give the plot a title that says what it "
                        "shows, and mark the limit the reader should compare with.",
                        "Return the <code>Axes</code> you drew on: the tests read the bars, "
                        "the labels and the lines from it, as a reviewer would.",
                    ),
                    code(
                        "import matplotlib.pyplot as plt\n\n"
                        "fig, ax = plt.subplots()\n"
                        'ax.hist(df["no2"], bins=range(0, 70, 5))\n'
                        'ax.axvline(40, color="firebrick", linestyle="--")\n'
                        'ax.set_xlabel("NO2, monthly mean (µg/m³)")\n'
                        'ax.set_ylabel("Months")\n'
                        'ax.set_title("Nitrogen dioxide in Baku\'s districts")\n',
                        "A histogram with a limit",
                    ),
                ],
            },
            {
                "slug": "a-first-model",
                "title": names(
                    "A first model with scikit-learn",
                    "scikit-learn ilə ilk model",
                    "Первая модель в scikit-learn",
                ),
                "introduction": names(
                    "Predict a polluted month from the weather and the district, and test "
                    "the prediction honestly.",
                    "Çirkli ayı hava şəraitinə və rayona görə proqnozlaşdırın və proqnozu "
                    "dürüst yoxlayın.",
                    "Предскажите загрязнённый месяц по погоде и району и честно проверьте прогноз.",
                ),
                "minutes": 60,
                "rule": "read",
                "body": [
                    *p(
                        "A <b>logistic regression</b> learns a weight for each input and turns "
                        "their weighted sum into a probability: here, the probability that a "
                        "month's PM2.5 is above the limit.",
                        "Models take numbers. A category such as the district becomes one 0/1 "
                        "column per district (<i>one-hot encoding</i>, "
                        "<code>pd.get_dummies</code>).",
                        "Keep a quarter of the months aside with <code>train_test_split</code> "
                        "before fitting, and report the accuracy on those months only: the "
                        "accuracy on the training months says how well the model remembers, "
                        "not how well it predicts.",
                    ),
                    formula(
                        r"P(\text{high}) = \frac{1}{1 + e^{-(w_0 + w_1 x_1 + \dots + w_n x_n)}}",
                        "Logistic regression",
                    ),
                    code(
                        "from sklearn.linear_model import LogisticRegression\n"
                        "from sklearn.model_selection import train_test_split\n\n"
                        "X_train, X_test, y_train, y_test = train_test_split(\n"
                        "    X, y, test_size=0.25, random_state=0, stratify=y\n"
                        ")\n"
                        "model = LogisticRegression(max_iter=1000).fit(X_train, y_train)\n"
                        "print(model.score(X_test, y_test))  # accuracy on unseen months\n",
                        "Fit on three quarters, measure on the rest",
                    ),
                ],
            },
        ],
    },
]
