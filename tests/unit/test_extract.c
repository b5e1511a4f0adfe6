/* Extractor: the seed article's timexes and timeline, rule families,
 * decoys, rule-file errors with positions, and pathological input. */
#include <sys/stat.h>
#include <unistd.h>

#include "extract_fixture.h"

/* The value of the timex whose text is @p span, or NULL. */
static const char *value_of(fixture *f, const char *span)
{
    for (size_t i = 0; i < f->facts.n_timexes; i++) {
        const dl_timex *tx = &f->facts.timexes[i];
        if (tx->end - tx->start == strlen(span) && !memcmp(f->text + tx->start, span, strlen(span)))
            return tx->value;
    }
    return NULL;
}

static void expect(fixture *f, const char *span, const char *value)
{
    const char *v = value_of(f, span);

    if (!v)
        fail_msg("no timex '%s'", span);
    if (strcmp(v, value))
        fail_msg("timex '%s': value %s, want %s", span, v, value);
}

static void test_seed_article(void **state)
{
    fixture *f = *state;
    char *buf;
    size_t len;
    dl_err err = {0};
    dl_dct dct = {2020, 10, 27};
    static const char *const want[][2] = {
        {"September", "2020-09"},        {"Tuesday, October 27", "2020-10-27"},
        {"September 30", "2020-09-30"},  {"now", "PRESENT_REF"},
        {"earlier this month", "2020-10"}, {"August", "2020-08"},
        {"September", "2020-09"},        {"the same month", "2020-09"},
    };
    static const char *const dates[] = {"2020-08", "2020-09", "2020-09",   "2020-09",
                                        "2020-09-30", "2020-10", "2020-10-27"};

    assert_int_equal(dl_read_file(SEED_FILE, &buf, &len, &err), 0);
    /* The body starts after " date 2020-10-27 " (17 bytes). */
    f->text = buf + 17;
    assert_int_equal(dl_extract(f->ex, (dl_slice){buf + 17, len - 17}, &dct, &f->facts, &err), 0);
    assert_int_equal(f->facts.n_timexes, 8);
    for (size_t i = 0; i < 8; i++) {
        const dl_timex *tx = &f->facts.timexes[i];
        size_t n = strlen(want[i][0]);
        if (tx->end - tx->start != n || memcmp(f->text + tx->start, want[i][0], n))
            fail_msg("timex %zu: '%.*s', want '%s'", i, (int)(tx->end - tx->start),
                     f->text + tx->start, want[i][0]);
        assert_string_equal(tx->value, want[i][1]);
        assert_int_equal(tx->type, DL_TIMEX_DATE);
    }
    assert_string_equal(f->facts.timexes[4].mod, "START");
    assert_int_equal(f->facts.timexes[3].anchored, 0); /* PRESENT_REF */
    /* Seven dated events, ordered by date. */
    assert_int_equal(f->facts.n_events, 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(f->facts.events[i].date, dates[i]);
    assert_int_equal(f->facts.events[0].resolution, DL_RES_MONTH);
    assert_int_equal(f->facts.events[6].resolution, DL_RES_DAY);
    /* Ages and ordinals are not dates. */
    assert_null(value_of(f, "34"));
    assert_null(value_of(f, "41"));
    free(buf);
}

static void test_sentences(void **state)
{
    fixture *f = *state;

    run_at(f, "Sen. Smith met Dr. Jones in the U.S. on Monday. “It went well,” he said. "
           "Then J. R. Doe left!\nA new line starts here", 2020, 1, 1);
    assert_int_equal(f->facts.n_sentences, 4);
    assert_memory_equal(f->text + f->facts.sentences[1].start, "\xe2\x80\x9cIt went", 9);
    assert_memory_equal(f->text + f->facts.sentences[3].start, "A new line", 10);
}

static void test_explicit_dates(void **state)
{
    fixture *f = *state;

    run_at(f, "It happened on March 3, 2011 and again on 14 February 2012, then in June 2013 "
           "and on 2014-05-06. The war began in 2003.",
        2015, 6, 1);
    expect(f, "March 3, 2011", "2011-03-03");
    expect(f, "14 February 2012", "2012-02-14");
    expect(f, "June 2013", "2013-06");
    expect(f, "2014-05-06", "2014-05-06");
    expect(f, "2003", "2003");
}

static void test_relative_and_tense(void **state)
{
    fixture *f = *state;

    /* DCT Wednesday 2020-01-08. */
    run_at(f, "The report came out on Monday. The vote will be held on Friday. "
           "Officials met yesterday and will meet again tomorrow. Prices rose last month "
           "and will fall next year. Sales peaked in December. The ban will end in February.",
        2020, 1, 8);
    expect(f, "Monday", "2020-01-06");
    expect(f, "Friday", "2020-01-10");
    expect(f, "yesterday", "2020-01-07");
    expect(f, "tomorrow", "2020-01-09");
    expect(f, "last month", "2019-12");
    expect(f, "next year", "2021");
    /* Year boundary: December in a January article is last December. */
    expect(f, "December", "2019-12");
    expect(f, "February", "2020-02");
}

static void test_anaphora(void **state)
{
    fixture *f = *state;

    run_at(f, "The plant opened on July 4, 2015. It closed the same day. "
           "A fire broke out in March 2016 and spread the same month.",
        2018, 1, 1);
    expect(f, "the same day", "2015-07-04");
    expect(f, "the same month", "2016-03");
}

static void test_decoys(void **state)
{
    fixture *f = *state;

    run_at(f, "May Lee may march in the parade. He won 2,020 votes in room 2019 on flight 1987. "
           "She may go. The march was long.",
        2020, 6, 1);
    assert_int_equal(f->facts.n_timexes, 0);
    /* But a month after "in" is a date, and May with a day is too. */
    run_at(f, "The law passed in May. Voting starts May 5.", 2020, 6, 1);
    expect(f, "May", "2020-05");
    expect(f, "May 5", "2020-05-05");
}

/* One row per tricky case: text, DCT, expected span, type, value, mod. */
typedef struct family_case {
    const char *text;
    int y, m, d;
    const char *span, *type, *value, *mod;
} family_case;

static void check_cases(fixture *f, const family_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const family_case *c = &cases[i];
        const dl_timex *hit = NULL;
        run_at(f, c->text, c->y, c->m, c->d);
        for (size_t k = 0; k < f->facts.n_timexes; k++) {
            const dl_timex *tx = &f->facts.timexes[k];
            if (tx->end - tx->start == strlen(c->span) &&
                !memcmp(f->text + tx->start, c->span, strlen(c->span)))
                hit = tx;
        }
        if (!hit)
            fail_msg("\"%s\": no timex '%s'", c->text, c->span);
        if (strcmp(dl_timex_type_name(hit->type), c->type) || strcmp(hit->value, c->value) ||
            strcmp(hit->mod, c->mod ? c->mod : ""))
            fail_msg("\"%s\": '%s' is %s %s %s, want %s %s %s", c->text, c->span,
                     dl_timex_type_name(hit->type), hit->value, hit->mod, c->type, c->value,
                     c->mod ? c->mod : "");
    }
}

static void test_rule_families(void **state)
{
    static const family_case cases[] = {
        /* a present tense that tells a schedule looks ahead (DCT Saturday
         * 2010-06-12), except after "not" and in a chronology's line */
        {"The talks take place on Wednesday when Svanberg meets Obama.", 2010, 6, 12,
         "Wednesday", "DATE", "2010-06-16", NULL},
        {"The museum opens to the public on Monday.", 2010, 6, 12, "Monday", "DATE",
         "2010-06-14", NULL},
        {"Officials did not meet on Monday.", 2010, 6, 12, "Monday", "DATE", "2010-06-07", NULL},
        {"Monday evening, the mud begins to swirl.", 2010, 6, 12, "Monday evening", "DATE",
         "2010-06-07TEV", NULL},
        {"June 16 - Hayward meets Obama.", 2011, 1, 11, "June 16", "DATE", "2010-06-16", NULL},
        {"Graham told NBC's \"Meet the Press\" on Sunday.", 2011, 6, 21, "Sunday", "DATE",
         "2011-06-19", NULL},
        /* years counted on past the DCT's in a clause that does not look
         * ahead: the story has come to now */
        {"Experts saw the Valdez spill. Two decades later, they agree on one thing.", 2010, 5, 7,
         "Two decades later", "DATE", "2010", NULL},
        {"Sadat made him vice president in 1975. Six years later, Sadat died.", 2010, 5, 7,
         "Six years later", "DATE", "1981", NULL},
        {"The spill began in 2010. Ten years later the coast will still suffer.", 2010, 5, 7,
         "Ten years later", "DATE", "2020", NULL},
        /* scare quotes end no clause; a quotation does ("I will," she said) */
        {"BP will try to plug the well in a \"top kill\" operation on Wednesday.", 2010, 5, 25,
         "Wednesday", "DATE", "2010-05-26", NULL},
        {"\"I will,\" she said Monday.", 2010, 5, 26, "Monday", "DATE", "2010-05-24", NULL},
        {"The mission's mandate runs out on Friday.", 2012, 7, 16, "Friday", "DATE", "2012-07-20",
         NULL},
        {"Democrats voted for a year-end budget deal.", 2015, 12, 28, "year-end", "DATE", "2015",
         "END"},
        /* "over the year" is the preposition's, no mod */
        {"It paid 7bn in dividends over the year.", 2010, 6, 13, "the year", "DATE", "2010", NULL},
        /* a holiday due within two months is the coming one, whatever the
         * clause's tense (as such a month is) */
        {"Trump may have confused Election Day with the date.", 2016, 10, 12, "Election Day",
         "DATE", "2016-11-08", NULL},
        {"He spent Christmas in jail.", 2016, 1, 3, "Christmas", "DATE", "2015-12-25", NULL},
        {"Rubio did poorly on Super Tuesday.", 2016, 3, 10, "Super Tuesday", "DATE", "2016-03-01",
         NULL},
        {"Ohio voted in the 2012 Super Tuesday.", 2016, 5, 18, "2012 Super Tuesday", "DATE",
         "2012-03-06", NULL},
        /* a disaster's day has happened, whatever the clause says */
        {"BP will step back while investigating the April 20 explosion.", 2010, 8, 4, "April 20",
         "DATE", "2010-04-20", NULL},
        /* a present passive is no past form */
        {"Rights groups can study them before the bill is published in October.", 2005, 7, 18,
         "October", "DATE", "2005-10", NULL},
        /* the end of a compound is no past form ("so-called") */
        {"BP will try to plug the leaking well in a so-called top kill operation on Wednesday.",
         2010, 5, 25, "Wednesday", "DATE", "2010-05-26", NULL},
        /* "overnight": the night before the day the story is at, a day in
         * the week up to the DCT (else the DCT's) */
        {"London shares closed lower Friday. They were hit by overnight losses in New York.",
         1989, 10, 30, "overnight", "TIME", "1989-10-26TNI", NULL},
        {"London shares closed lower Friday, overnight losses in New York and down 4.5% from "
         "the previous Friday.",
         1989, 10, 30, "the previous Friday", "DATE", "1989-10-20", NULL},
        {"The rig exploded on April 20. BP fitted a cap overnight.", 2010, 6, 4, "overnight",
         "TIME", "2010-06-03TNI", NULL},
        {"In 1969 it began. BP fitted a cap overnight.", 2010, 6, 4, "overnight", "TIME",
         "2010-06-03TNI", NULL},
        /* durations, with and without modifiers; adjectival forms drop "a" */
        {"The war lasted three years.", 2020, 6, 1, "three years", "DURATION", "P3Y", NULL},
        {"He served 18 months in jail.", 2020, 6, 1, "18 months", "DURATION", "P18M", NULL},
        {"It took a decade to build.", 2020, 6, 1, "a decade", "DURATION", "P10Y", NULL},
        {"Prices rose over the past two months.", 2020, 6, 1, "the past two months", "DURATION",
         "P2M", NULL},
        {"It signed a five-year contract.", 2020, 6, 1, "five-year", "DURATION", "P5Y", NULL},
        /* a count and a singular unit before a noun: the determiner is the
         * noun's */
        {"The three day trial ended.", 2020, 6, 1, "three day", "DURATION", "P3D", NULL},
        {"Hear the latest five minute bulletin.", 2020, 6, 1, "five minute", "DURATION", "PT5M",
         NULL},
        {"The talks lasted more than four hours.", 2020, 6, 1, "more than four hours", "DURATION",
         "PT4H", "MORE_THAN"},
        /* a mod is a TimeML value, whatever the spaces in its words */
        {"The talks lasted no more than four hours.", 2020, 6, 1, "no more than four hours",
         "DURATION", "PT4H", "EQUAL_OR_LESS"},
        {"The talks lasted more  than\nfour hours.", 2020, 6, 1, "more  than\nfour hours",
         "DURATION", "PT4H", "MORE_THAN"},
        {"It took twenty-four hours to finish.", 2020, 6, 1, "twenty-four hours", "DURATION",
         "PT24H", NULL},
        {"It lasted two dozen years.", 2020, 6, 1, "two dozen years", "DURATION", "P24Y", NULL},
        {"It took two hundred five days.", 2020, 6, 1, "two hundred five days", "DURATION",
         "P205D", NULL},
        {"The sale could take weeks.", 2020, 6, 1, "weeks", "DURATION", "PXW", NULL},
        /* two lengths as alternatives are one, of the first unit; not after
         * "coming" */
        {"Repairs to the bridge could take weeks or months.", 2012, 5, 1, "weeks or months",
         "DURATION", "PXW", NULL},
        {"Rents should ease in the coming months or years.", 2012, 5, 1, "the coming months",
         "DURATION", "PXM", NULL},
        {"Shares fell for eight trading days.", 2020, 6, 1, "eight trading days", "DURATION", "P8D",
         NULL},
        {"Threats had become routine over the past decade.", 1998, 10, 25, "the past decade",
         "DURATION", "P10Y", NULL},
        {"The deal should close by year-end.", 1989, 10, 25, "year-end", "DATE", "1989", "END"},
        /* relative dates */
        {"Sales fell two weeks ago.", 2020, 6, 10, "two weeks ago", "DATE", "2020-W22", NULL},
        {"The plant closed three years ago.", 2020, 6, 10, "three years ago", "DATE", "2017", NULL},
        {"Profit rose earlier this year.", 2020, 6, 10, "earlier this year", "DATE", "2020",
         "START"},
        {"He will retire later this month.", 2020, 6, 10, "later this month", "DATE", "2020-06",
         "END"},
        {"Shares rose last week.", 2020, 6, 10, "last week", "DATE", "2020-W23", NULL},
        /* a qualifier naming a part of this week is in it; a comparative or a
         * preposition before it is not */
        {"The depot cut shifts early this week.", 2020, 6, 10, "early this week", "DATE",
         "2020-W24", "START"},
        {"Ballots go out at the end of this week.", 2020, 6, 10, "the end of this week", "DATE",
         "2020-W24", "END"},
        {"The mayor spoke earlier this week.", 2020, 6, 10, "this week", "DATE", "2020-W24", NULL},
        {"Critics wrote about this week's vote.", 2020, 6, 10, "this week", "DATE", "2020-W24",
         NULL},
        /* a subject right after it, article or count, does not undo it */
        {"Last week a jury acquitted the two brothers.", 2020, 6, 10, "Last week", "DATE",
         "2020-W23", NULL},
        {"Last year 40 ships sank off the cape.", 2020, 6, 10, "Last year", "DATE", "2019", NULL},
        {"Last weekend a storm flattened the pier.", 2020, 6, 10, "Last weekend", "DATE",
         "2020-W23-WE", NULL},
        {"It opened last May.", 2020, 7, 10, "last May", "DATE", "2020-05", NULL},
        {"It opened last May.", 2020, 2, 10, "last May", "DATE", "2019-05", NULL},
        {"It opens next March.", 2020, 6, 10, "next March", "DATE", "2021-03", NULL},
        /* a qualifier before "this morning", "last night" is in it; a
         * preposition is not */
        {"The envoy lands later this afternoon.", 2012, 5, 1, "later this afternoon", "TIME",
         "2012-05-01TAF", "END"},
        {"A van struck the gate late last night.", 2012, 5, 1, "late last night", "TIME",
         "2012-04-30TNI", "END"},
        {"Nobody spoke about this morning's drill.", 2012, 5, 1, "this morning", "TIME",
         "2012-05-01TMO", NULL},
        /* "3pm yesterday": a clock time on the day named after it */
        {"Firemen reached the mill at 3pm yesterday.", 2012, 5, 1, "3pm yesterday", "TIME",
         "2012-04-30T15:00", NULL},
        {"The ferry leaves at 10 a.m. tomorrow.", 2012, 5, 1, "10 a.m. tomorrow", "TIME",
         "2012-05-02T10:00", NULL},
        {"The mill reopened at 9 a.m. Friday.", 2012, 5, 1, "9 a.m. Friday", "TIME",
         "2012-04-27T09:00", NULL},
        /* "the first half of last year": that year's half, one timex */
        {"Exports slumped in the first half of last year.", 2012, 5, 1,
         "the first half of last year", "DATE", "2011-H1", NULL},
        {"Output will rise in the third quarter of next year.", 2012, 5, 1,
         "the third quarter of next year", "DATE", "2013-Q3", NULL},
        {"The fourth quarter of 2010 was weak; this year is better.", 2012, 5, 1,
         "The fourth quarter of 2010", "DATE", "2010-Q4", NULL},
        /* "set for" looks ahead, as "set to" */
        {"The retrial is set for Nov. 6 in the county court.", 2012, 5, 1, "Nov. 6", "DATE",
         "2012-11-06", NULL},
        {"The stage was set for a clash in March.", 2012, 5, 1, "March", "DATE", "2012-03", NULL},
        /* "for a while": a length of no stated size */
        {"The valley will be without trains for a while.", 2012, 5, 1, "a while", "DURATION", "PXX",
         NULL},
        /* "year-long": an adjective of one unit, the article out */
        {"Their day-long talks ended without a deal.", 2012, 5, 1, "day-long", "DURATION", "P1D",
         NULL},
        {"The year-long strike ended.", 2012, 5, 1, "year-long", "DURATION", "P1Y", NULL},
        {"It survived a months-long siege.", 2012, 5, 1, "months-long", "DURATION", "PXM", NULL},
        {"He spent the year in Rome.", 2012, 5, 1, "the year", "DATE", "2012", NULL},
        /* "several quarters of deficits" is a length, not a fraction */
        {"The mill made money again after several quarters of deficits.", 2012, 5, 1,
         "several quarters", "DURATION", "PXQ", NULL},
        /* "the '70s": a decade in its short form */
        {"Punk peaked in the late '70s and faded.", 2012, 5, 1, "the late '70s", "DATE", "197",
         "END"},
        {"Disco ruled the '70s.", 2012, 5, 1, "the '70s", "DATE", "197", NULL},
        /* "this year than last": the elided unit is last year */
        {"Farms sold less wheat this year than last, the survey found.", 2019, 3, 14, "last",
         "DATE", "2018", NULL},
        /* "at a later date": some time ahead */
        {"The board may sell the land at a later date.", 2019, 3, 14, "a later date", "DATE",
         "FUTURE_REF", NULL},
        /* "in past years": a vague past, as "in recent years" */
        {"Rents rose faster in past years than now.", 2019, 3, 14, "past years", "DATE",
         "PAST_REF", NULL},
        {"Rents rose over the past two years.", 2019, 3, 14, "the past two years", "DURATION",
         "P2Y", NULL},
        /* "is the Nth day of": told in the present, the DCT */
        {"Today is the ninth day of the dockers' walkout.", 2019, 3, 14, "the ninth day", "DATE",
         "2019-03-14", NULL},
        {"Crowds grew, and it's the 12th day of the siege.", 2019, 3, 14, "the 12th day", "DATE",
         "2019-03-14", NULL},
        /* "the March ..." before a lowercase noun: the month as an adjective */
        {"Turnout in the March primaries was low.", 2016, 6, 1, "March", "DATE", "2016-03", NULL},
        {"The May floods ruined the harvest.", 2019, 9, 1, "May", "DATE", "2019-05", NULL},
        {"Profit doubled in the third quarter.", 2020, 11, 2, "the third quarter", "DATE",
         "2020-Q3", NULL},
        {"Third-quarter profit doubled.", 2020, 11, 2, "Third-quarter", "DATE", "2020-Q3", NULL},
        {"The brewer reported a fall in profits for the fourth quarter.", 1998, 1, 26,
         "the fourth quarter", "DATE", "1997-Q4", NULL},
        {"It expects a loss in the third quarter.", 1998, 5, 26, "the third quarter", "DATE",
         "1998-Q3", NULL},
        {"Profit doubled in fiscal 2021.", 2021, 11, 2, "fiscal 2021", "DATE", "2021", NULL},
        {"It was popular in the 1990s.", 2020, 6, 1, "the 1990s", "DATE", "199", NULL},
        {"It was built in the late 1970s.", 2020, 6, 1, "the late 1970s", "DATE", "197", "END"},
        {"They met this summer.", 2020, 8, 1, "this summer", "DATE", "2020-SU", NULL},
        {"They met last fall.", 2020, 3, 1, "last fall", "DATE", "2019-FA", NULL},
        {"Prices rose in mid-1996.", 2020, 3, 1, "mid-1996", "DATE", "1996", "MID"},
        /* year-boundary crossing */
        {"Sales peaked in December.", 2020, 1, 8, "December", "DATE", "2019-12", NULL},
        {"Talks resume in January.", 2019, 12, 20, "January", "DATE", "2020-01", NULL},
        /* a length after a rate's noun is still one */
        {"It collected 10,000 barrels over 24 hours.", 2010, 6, 1, "over 24 hours", "DURATION",
         "PT24H", "MORE_THAN"},
        /* a date and the time on it: one TIME on that day */
        {"Great post. March 19, 2011 at 12:28 pm | Reply", 2011, 3, 7, "March 19, 2011 at 12:28 pm",
         "TIME", "2011-03-19T12:28", NULL},
        {"LONDON | Tue Mar 1, 2011 4:00 pm EST LONDON (Reuters) - Talks began.", 2011, 3, 1,
         "Tue Mar 1, 2011 4:00 pm EST", "TIME", "2011-03-01T16:00", NULL},
        /* a time and the date it is on; a bare number is no time */
        {"At 08:51 am on 19 Jan 2010, Allen wrote.", 2010, 6, 3, "08:51 am on 19 Jan 2010", "TIME",
         "2010-01-19T08:51", NULL},
        {"It appeared on 10.02 BST on Thursday 3 June 2010.", 2010, 6, 5,
         "10.02 BST on Thursday 3 June 2010", "TIME", "2010-06-03T10:02", NULL},
        {"He won 5 on May 3, 2010.", 2010, 6, 5, "May 3, 2010", "DATE", "2010-05-03", NULL},
        {"He left at 6.45 p.m. on 2 June.", 2010, 6, 5, "6.45 p.m. on 2 June", "TIME",
         "2010-06-02T18:45", NULL},
        /* the sentence's period is not a month's abbreviation point */
        {"It ended on 4 June.", 2010, 6, 5, "4 June", "DATE", "2010-06-04", NULL},
        {"It ended on 4 Sept. 2009.", 2010, 6, 5, "4 Sept. 2009", "DATE", "2009-09-04", NULL},
        /* "the year" in apposition to a year is that year */
        {"Sightings were reported until 1996, the year Gadhafi crushed an uprising.", 2011, 2, 25,
         "the year", "DATE", "1996", NULL},
        /* a clock time on a weekday with no cue is the nearest such day */
        {"(Update 12:41 a.m. Tuesday in Cairo, 5:41 p.m. ET Monday) Crowds grew.", 2011, 1, 31,
         "12:41 a.m. Tuesday", "TIME", "2011-02-01T00:41", NULL},
        {"The actual deadline is 11:59 p.m. Tuesday.", 2010, 11, 22, "11:59 p.m. Tuesday", "TIME",
         "2010-11-23T23:59", NULL},
        /* a time, then its date with the year */
        {"Posted 3:44 pm ET February 11, 2013 by a reader.", 2011, 4, 6,
         "3:44 pm ET February 11, 2013", "TIME", "2013-02-11T15:44", NULL},
        /* a dot before the minutes (British style), never the minutes alone */
        {"1.00 pm: The power was back.", 2009, 5, 1, "1.00 pm", "TIME", "2009-05-01T13:00", NULL},
        {"At 10.30am the shop opened.", 2009, 5, 1, "10.30am", "TIME", "2009-05-01T10:30", NULL},
        /* a weekday before a day-month date is one expression */
        {"It ran on Thursday 3 June 2010 in print.", 2010, 5, 3, "Thursday 3 June 2010", "DATE",
         "2010-06-03", NULL},
        /* holidays */
        {"They met on Thanksgiving Day.", 1999, 12, 1, "Thanksgiving Day", "DATE", "1999-11-25",
         NULL},
        {"Stores close on Christmas.", 2020, 12, 1, "Christmas", "DATE", "2020-12-25", NULL},
        {"They marched on Easter Sunday 2019.", 2020, 1, 1, "Easter Sunday 2019", "DATE",
         "2019-04-21", NULL},
        {"Polls open on Election Day.", 2020, 10, 1, "Election Day", "DATE", "2020-11-03", NULL},
        /* the 2001 attacks by their date, only with a word that says so */
        {"It pays victims of the Sept. 11 terrorist attacks.", 2010, 6, 17, "Sept. 11", "DATE",
         "2001-09-11", NULL},
        {"He feared a September 11-style attack.", 2008, 11, 15, "September 11", "DATE",
         "2001-09-11", NULL},
        {"September 11 - Libya starts producing oil again.", 2011, 10, 12, "September 11", "DATE",
         "2011-09-11", NULL},
        /* times */
        {"The blast came at 10:35 a.m. on the dock.", 1998, 8, 7, "10:35 a.m.", "TIME",
         "1998-08-07T10:35", NULL},
        {"Fighting resumed at noon Thursday.", 1998, 2, 13, "noon Thursday", "TIME",
         "1998-02-12T12:00", NULL},
        {"The vote was held this morning.", 1998, 2, 6, "this morning", "TIME", "1998-02-06TMO",
         NULL},
        {"Trading stopped in mid-afternoon yesterday.", 1989, 11, 2, "mid-afternoon yesterday",
         "TIME", "1989-11-01TAF", "MID"},
        /* sets */
        {"The paper appears daily.", 2020, 6, 1, "daily", "SET", "P1D", NULL},
        {"They meet every Sunday.", 2020, 6, 1, "every Sunday", "SET", "XXXX-WXX-7", NULL},
        {"Dues are paid annually.", 2020, 6, 1, "annually", "SET", "P1Y", NULL},
        /* references */
        {"Prices are now higher.", 2020, 6, 1, "now", "DATE", "PRESENT_REF", NULL},
        {"Prices rose recently.", 2020, 6, 1, "recently", "DATE", "PAST_REF", NULL},
        {"Prices may fall in the future.", 2020, 6, 1, "the future", "DATE", "FUTURE_REF", NULL},
        {"It grew in recent years.", 2020, 6, 1, "recent years", "DATE", "PAST_REF", NULL},
        /* anaphora */
        {"Profit fell in the third quarter. A year earlier it rose.", 1989, 11, 2, "A year earlier",
         "DATE", "1988-Q3", NULL},
        {"The bank failed in 1987. The following year it reopened.", 2020, 6, 1,
         "The following year", "DATE", "1988", NULL},
        {"Net rose in the 1988 period. The year-earlier results were restated.", 1989, 11, 2,
         "year-earlier", "DATE", "1988", NULL},
        {"Profit fell from last year's quarter.", 1989, 11, 1, "last year's quarter", "DATE",
         "1988-Q3", NULL},
        {"The mill earned $212,000 in the 1988 quarter.", 1989, 10, 30, "the 1988 quarter", "DATE",
         "1988-Q3", NULL},
        {"In the 1989 period, interest expense was lower.", 1989, 11, 1, "the 1989 period", "DATE",
         "1989", NULL},
        /* the current year, unless it is a period with its end date */
        {"Sales for the full year rose 13%.", 1989, 11, 2, "the full year", "DATE", "1989", NULL},
        {"Net for the year ended Aug. 31 fell.", 1989, 11, 2, "the year", "DURATION", "P1Y", NULL},
        {"Earnings will fall in the last half of 1989.", 1989, 10, 26, "the last half of 1989",
         "DATE", "1989-H2", NULL},
        /* halves */
        {"They lived there for 2 1/2 years.", 1998, 2, 27, "2 1/2 years", "DURATION", "P2Y6M",
         NULL},
        {"It took three-and-a-half days.", 1998, 2, 27, "three-and-a-half days", "DURATION",
         "P3DT12H", NULL},
        {"But a minute and a half later, a pilot called.", 1998, 1, 14, "a minute and a half",
         "DURATION", "PT1M30S", NULL},
        /* the nearest tense cue decides; a quotation mark ends the clause */
        {"The team would be ready to fly as soon as Tuesday, the coach said.", 2000, 4, 3,
         "Tuesday", "DATE", "2000-04-04", NULL},
        {"\"She will sail at 4 a.m. Thursday,\" the captain said.", 2000, 4, 5, "4 a.m. Thursday",
         "TIME", "2000-04-06T04:00", NULL},
        {"Ms. Hale, who left her post as president and chief financial officer in March, was ill.", 1989,
         11, 2, "March", "DATE", "1989-03", NULL},
        /* a capitalised -ed word is a name, not a past verb; "effective"
         * before a date looks ahead */
        {"The father would travel to the United States Thursday.", 2000, 4, 5, "Thursday", "DATE",
         "2000-04-06", NULL},
        {"The bonus would be paid on a date still to be fixed in January.", 1989, 10, 26, "January",
         "DATE", "1990-01", NULL},
        {"The bank created an office, effective Feb. 1.", 1989, 10, 26, "Feb. 1", "DATE",
         "1990-02-01", NULL},
        {"The council put off until Tuesday morning any vote.", 2000, 3, 30, "Tuesday morning",
         "DATE", "2000-04-04TMO", NULL},
        {"The plant closed Tuesday morning.", 2000, 3, 30, "Tuesday morning", "DATE",
         "2000-03-28TMO", NULL},
        /* a possessive weekday has taken place */
        {"They would try to find a way round Wednesday's ruling.", 2000, 1, 7, "Wednesday",
         "DATE", "2000-01-05", NULL},
        /* spoken years */
        {"It began in nineteen ninety-six.", 2000, 1, 1, "nineteen ninety-six", "DATE", "1996",
         NULL},
        /* a sentence-opening phrase: its comma does not end the clause */
        {"In January, the company hired a new chief.", 1989, 10, 27, "January", "DATE", "1989-01",
         NULL},
        {"In January, the company will hire a new chief.", 1989, 10, 27, "January", "DATE",
         "1990-01", NULL},
        /* "were planning" looks ahead: "were" is not a past cue there */
        {"They planned a march on Saturday and were planning a rally.", 2000, 1, 7, "Saturday",
         "DATE", "2000-01-08", NULL},
        /* ordinal centuries, sets of quarters */
        {"It was built in the 11th century.", 1998, 2, 19, "the 11th century", "DATE", "10", NULL},
        {"The best of the twentieth century.", 1998, 2, 19, "the twentieth century", "DATE", "19",
         NULL},
        {"It pays $100 million every quarter.", 1989, 10, 30, "every quarter", "SET", "P1Q", NULL},
        /* a period counted back from the reported one is still a duration;
         * "year-earlier" alone stays the compared period */
        {"Net for the year-earlier nine months included a gain.", 1989, 10, 26,
         "the year-earlier nine months", "DURATION", "P9M", NULL},
        {"Net rose in the 1988 period. The year-earlier nine months were weak.", 1989, 10, 26,
         "The year-earlier nine months", "DURATION", "P9M", NULL},
        /* the first two quarters are the first half; two quarters alone a
         * duration */
        {"Weakness will last through the first two quarters of 1990.", 1989, 10, 26,
         "the first two quarters of 1990", "DATE", "1990-H1", NULL},
        {"Profit fell for two quarters.", 1989, 10, 26, "two quarters", "DURATION", "P2Q", NULL},
        /* a weekday after a time's conversion in parentheses is its day */
        {"The fire started at 10:35 a.m. (0735 GMT) Friday, police said.", 1998, 8, 8,
         "10:35 a.m.", "TIME", "1998-08-07T10:35", NULL},
        {"The fire started at 10:35 a.m. (0735 GMT) Friday, police said.", 1998, 8, 8,
         "Friday", "DATE", "1998-08-07", NULL},
        {"The fire started at 10:35 a.m. (local time) in Leeds.", 1998, 8, 8, "10:35 a.m.",
         "TIME", "1998-08-08T10:35", NULL},
        /* "the week of March 6" is that day's ISO week; the day alone a day */
        {"It may be resolved in a hearing the week of March 6, he said.", 2000, 2, 24,
         "the week of March 6", "DATE", "2000-W10", NULL},
        {"The hearing is on March 6, a week after the ruling.", 2000, 2, 24, "March 6", "DATE",
         "2000-03-06", NULL},
        /* "later"/"earlier" after days, weeks, months is a signal: the
         * timex is the duration; after years it is the compared period */
        {"Three days later, as of Friday's close, the index fell.", 1989, 10, 30, "Three days",
         "DURATION", "P3D", NULL},
        {"A few days later, the company announced lower earnings.", 1989, 10, 27, "A few days",
         "DURATION", "PXD", NULL},
        {"Just over an hour later, he was declared dead.", 1998, 10, 25, "over an hour", "DURATION",
         "PT1H", "MORE_THAN"},
        {"The bank failed in 1987. Two years later it reopened.", 2020, 6, 1, "Two years later",
         "DATE", "1989", NULL},
        /* an opening phrase takes the tense of its clause's verb, however
         * long the subject before it */
        {"On Tuesday, the National Union of Rail, Maritime and Transport Workers plans to hold "
         "a news conference.",
         1998, 10, 26, "Tuesday", "DATE", "1998-10-27", NULL},
        {"On Tuesday, the National Union of Rail, Maritime and Transport Workers held a news "
         "conference.",
         1998, 10, 26, "Tuesday", "DATE", "1998-10-20", NULL},
        {"In January, a week after the 10th anniversary of the merger, a strike closed the "
         "plant.",
         1998, 10, 25, "January", "DATE", "1998-01", NULL},
        /* ... the clause's verb, not that of a relative clause on its way
         * (a verb right after who/which/that) */
        {"On Tuesday his brothers, who will be singing at the show, defended the plan.", 2011, 10,
         5, "Tuesday", "DATE", "2011-10-04", NULL},
        {"By September the small migrating birds that nested up north will be arriving here.", 2010,
         6, 8, "September", "DATE", "2010-09", NULL},
        {"On Tuesday his brothers, who are singing at the show, will defend the plan.", 2011, 10, 5,
         "Tuesday", "DATE", "2011-10-11", NULL},
        /* lower case only: "the WHO" is the organisation */
        {"On Tuesday the WHO will hold a meeting of doctors.", 2009, 5, 4, "Tuesday", "DATE",
         "2009-05-05", NULL},
        /* "hope(s)/hoping to" looks ahead; "hoped" is past */
        {"The board, which hopes to finish work on the budget by Friday, met.", 2009, 2, 2,
         "Friday", "DATE", "2009-02-06", NULL},
        {"The board hoped for a vote by Friday.", 2009, 2, 2, "Friday", "DATE", "2009-01-30",
         NULL},
        /* "had expected" with nothing expected after it looks back; with
         * something to come it still looks ahead */
        {"In late July the firm put aside $3 billion, more than analysts had expected.", 2010, 11,
         2, "late July", "DATE", "2010-07", "END"},
        {"Some had expected the payment to arrive by Christmas.", 2008, 12, 5, "Christmas", "DATE",
         "2008-12-25", NULL},
        /* "set" and "stuck" are past forms; not after a modal or "to", not
         * "set to"/"set for" (a schedule) and not the noun */
        {"Prices are down from a record set in February.", 2008, 10, 26, "February", "DATE",
         "2008-02", NULL},
        {"On Thursday, the mayor stubbornly stuck to the plan that the road will be closed.", 2010,
         7, 9, "Thursday", "DATE", "2010-07-08", NULL},
        {"The panel will set new rules on Friday.", 2020, 6, 3, "Friday", "DATE", "2020-06-05",
         NULL},
        {"The talks are set to resume on Friday.", 2020, 6, 3, "Friday", "DATE", "2020-06-05",
         NULL},
        {"The board will publish a new set of rules on Friday.", 2020, 6, 3, "Friday", "DATE",
         "2020-06-05", NULL},
        /* "a plan" is a noun, not a cue */
        {"The port authority dropped a plan Wednesday to dredge the channel.", 2010, 4, 29,
         "Wednesday", "DATE", "2010-04-28", NULL},
        {"They plan to meet Wednesday.", 2010, 4, 29, "Wednesday", "DATE", "2010-05-05", NULL},
        /* "until" opening the sentence: the clause's verb gives the tense */
        {"Until Thursday, they had not called him a suspect.", 1999, 5, 7, "Thursday", "DATE",
         "1999-05-06", NULL},
        {"Until Thursday, he will stay in the city.", 1999, 5, 4, "Thursday", "DATE", "1999-05-06",
         NULL},
        {"Officials postponed the vote until Tuesday.", 2000, 3, 30, "Tuesday", "DATE",
         "2000-04-04", NULL},
        /* "planned" looks ahead, unless an adverb makes it what was
         * planned before */
        {"The team planned to leave Nairobi on Thursday.", 1998, 9, 30, "Thursday", "DATE",
         "1998-10-01", NULL},
        {"The mayor let the parade begin as previously planned Saturday night.", 1991, 2, 25,
         "Saturday night", "DATE", "1991-02-23TNI", NULL},
        {"On Friday, when he put off holiday plans for the hastily arranged visit, the "
         "ministry lifted a ban.",
         1998, 8, 17, "Friday", "DATE", "1998-08-14", NULL},
        /* "the quarter ended <day>": the calendar quarter holding most of it */
        {"In the quarter ended July 31, Jayark had 5.6 million shares.", 1989, 10, 30,
         "the quarter", "DATE", "1989-Q2", NULL},
        {"Sales rose in the quarter ended Sept. 30.", 1989, 10, 30, "the quarter", "DATE",
         "1989-Q3", NULL},
        {"Sales rose in the quarter.", 1989, 10, 30, "the quarter", "DATE", "1989-Q3", NULL},
        /* "the quarter" of a report is the first quarter it names that has
         * ended; not one ahead ("a loss in the fourth quarter"), nor one
         * reckoned from its end day, nor one it compares with */
        {"Net rose in the fiscal first quarter. Sales in the quarter rose 9%.", 1989, 10, 26,
         "the quarter", "DATE", "1989-Q1", NULL},
        {"Net rose in its fiscal second quarter. The latest period includes a gain.", 1989, 10, 30,
         "The latest period", "DATE", "1989-Q2", NULL},
        {"It expects a loss in the fourth quarter. Sales in the latest quarter rose.", 1989, 10, 30,
         "the latest quarter", "DATE", "1989-Q3", NULL},
        {"Net rose in the first quarter of 1987. Sales in the quarter rose.", 1989, 10, 30,
         "the quarter", "DATE", "1989-Q3", NULL},
        {"Net rose in the third quarter. Profit for the period was $5 million.", 1989, 10, 30,
         "the period", "DATE", "1989-Q3", NULL},
        {"The miller posted a fall in fourth-quarter earnings. Sales in the latest period rose.",
         1989, 11, 2, "the latest period", "DATE", "1989-Q4", NULL},
        {"Sales fell last quarter.", 2010, 11, 2, "last quarter", "DATE", "2010-Q3", NULL},
        {"Sales will rise in the last quarter of 2010.", 2010, 11, 2, "the last quarter of 2010",
         "DATE", "2010-Q4", NULL},
        {"The airline returned to profit in the third quarter, after a loss in the second "
         "quarter. Traffic fell in the quarter.",
         2010, 11, 2, "the quarter", "DATE", "2010-Q3", NULL},
        {"Net rose in the fiscal first quarter. Sales in the quarter ended Sept. 30 rose.", 1989,
         10, 30, "the quarter", "DATE", "1989-Q3", NULL},
        /* "a year earlier" than the quarter named is that quarter's; after
         * "the nine months" it is the year before */
        {"Net rose in the third quarter to $5 million from $4 million a year earlier.", 1989, 10,
         30, "a year earlier", "DATE", "1988-Q3", NULL},
        {"Net rose in the third quarter. For the nine months, net was $9 million, against $8 "
         "million a year earlier.",
         1989, 10, 30, "a year earlier", "DATE", "1988", NULL},
        {"Net rose in the third quarter. For nine months, net was $9 million, against $8 "
         "million a year earlier.",
         1989, 10, 30, "a year earlier", "DATE", "1988-Q3", NULL},
        {"She was held in July 2003. For the first four months she met no one, and she got a "
         "letter a year later.",
         2005, 5, 27, "a year later", "DATE", "2004", NULL},
        {"He joined in 1985. For the six months ended Aug. 12, net was $6 million, against $9 "
         "million a year earlier.",
         1989, 10, 31, "a year earlier", "DATE", "1988", NULL},
        /* "the year-earlier period" right after a period of months is those
         * months a year before: as long; a date between, or "quarter", keeps
         * the compared quarter */
        {"For the first six months, the mill earned $3 million, against a loss in the "
         "year-earlier period.",
         1989, 10, 30, "the year-earlier period", "DURATION", "P6M", NULL},
        {"For the six months, the mill earned $3 million; in September it paid a dividend, "
         "unlike in the year-earlier period.",
         1989, 10, 30, "the year-earlier period", "DATE", "1988-Q3", NULL},
        {"For the nine months, the mill earned $3 million, against a loss in the year-earlier "
         "quarter.",
         1989, 10, 30, "the year-earlier quarter", "DATE", "1988-Q3", NULL},
        /* the day that closes a period dates it but is no period itself */
        {"Net was $5 million for the fiscal first quarter ended Sept. 30, against a loss a year "
         "ago.",
         1989, 10, 30, "a year ago", "DATE", "1988-Q1", NULL},
        {"The plant opened on Sept. 30, 1988, and a year ago it closed.", 1989, 10, 30,
         "a year ago", "DATE", "1988", NULL},
        /* "April 24 and 25": the second day is a date of the same month */
        {"Leaders meet at the summit on April 24 and 25.", 1999, 2, 10, "25", "DATE", "1999-04-25",
         NULL},
        {"Leaders meet at the summit on April 24 and 25.", 1999, 2, 10, "April 24", "DATE",
         "1999-04-24", NULL},
        {"Polls were taken on Feb. 17 or 18th, 2009.", 2009, 3, 17, "18th, 2009", "DATE",
         "2009-02-18", NULL},
        /* "the 1989 period": the report's quarter while quarters are
         * compared, else the year */
        {"Net rose in the third quarter, after a flat second quarter. In the 1989 period, taxes "
         "were lower.",
         1989, 10, 30, "the 1989 period", "DATE", "1989-Q3", NULL},
        {"Net rose in the third quarter. For the nine months, net was $9 million, against $8 "
         "million in the 1988 period.",
         1989, 10, 30, "the 1988 period", "DATE", "1988", NULL},
        {"Net was $9 million in the 1988 period.", 1989, 10, 30, "the 1988 period", "DATE", "1988",
         NULL},
        /* an amount "last year" set against the quarter's is last year's
         * quarter; elsewhere last year */
        {"Net rose in the third quarter to $24 million, compared with a loss of $3 million last "
         "year.",
         1989, 10, 30, "last year", "DATE", "1988-Q3", NULL},
        {"Third-quarter sales were $1.73 billion, up from last year's $1.61 billion.", 1989, 10, 30,
         "last year", "DATE", "1988-Q3", NULL},
        {"Net rose in the third quarter. Last year's results were hurt by charges.", 1989, 10, 30,
         "Last year", "DATE", "1988", NULL},
        {"Net rose to $24 million, compared with a loss of $3 million last year.", 1989, 10, 30,
         "last year", "DATE", "1988", NULL},
        {"Net rose in the third quarter. Last year, it had a loss.", 1989, 10, 30, "Last year",
         "DATE", "1988", NULL},
        {"The day before yesterday he left.", 2010, 6, 10, "The day before yesterday", "DATE",
         "2010-06-08", NULL},
        {"He returns the day after tomorrow.", 2010, 6, 10, "the day after tomorrow", "DATE",
         "2010-06-12", NULL},
        /* holidays: the tense's side of the DCT, kept when already on it */
        {"Protesters prayed as Easter week began.", 2000, 4, 17, "Easter week", "DATE", "2000-W16",
         NULL},
        {"The shops will be busy at Christmas.", 2000, 4, 17, "Christmas", "DATE", "2000-12-25",
         NULL},
        {"Christmas was quiet.", 2000, 4, 17, "Christmas", "DATE", "1999-12-25", NULL},
        {"Until this past Christmas I was never ill.", 2009, 5, 2, "this past Christmas", "DATE",
         "2008-12-25", NULL},
        /* "over the past year" is "during": no mod, out of the span */
        {"Prices rose over the past year.", 1998, 3, 3, "the past year", "DATE", "1997", NULL},
        {"The tour will last over a week.", 1998, 3, 3, "over a week", "DURATION", "P1W",
         "MORE_THAN"},
        /* "the day before/after <day>": the day next to it, one timex */
        {"The day before last Tuesday's vote, Anna went home.", 2000, 2, 24,
         "The day before last Tuesday", "DATE", "2000-02-21", NULL},
        {"The plant closed the day after Labor Day.", 2008, 12, 13, "the day after Labor Day",
         "DATE", "2008-09-02", NULL},
        {"A day before Friday he came.", 2000, 2, 24, "Friday", "DATE", "2000-02-18", NULL},
        /* rates and sets: a recurring time, not a measure's denominator */
        {"The fund pays daily dividends.", 2020, 6, 1, "daily", "SET", "P1D", NULL},
        {"It will save costs of C$12.4 million annually.", 2020, 6, 1, "annually", "SET", "P1Y",
         NULL},
        /* "today's" is the DCT before what happens or appears that day */
        {"The offer, advertised in today's editions, expires soon.", 1989, 11, 2, "today", "DATE",
         "1989-11-02", NULL},
        {"At today's meeting the board voted.", 2020, 6, 1, "today", "DATE", "2020-06-01", NULL},
        {"Lunch is at noon.", 2020, 6, 1, "noon", "TIME", "2020-06-01T12:00", NULL},
        /* "Tuesday nights" is a set; "Tuesday night" one night */
        {"Ferries leave Dover on Monday and Tuesday nights.", 1998, 2, 13, "Tuesday nights", "SET",
         "XXXX-WXX-2TNI", NULL},
        {"Ferries left Dover on Tuesday night.", 1998, 2, 13, "Tuesday night", "DATE",
         "1998-02-10TNI", NULL},
        {"Ferries leave Dover on Monday and Tuesday nights.", 1998, 2, 13, "Monday", "SET",
         "XXXX-WXX-1TNI", NULL},
        {"Ferries left Dover on Monday and Tuesday night.", 1998, 2, 13, "Monday", "DATE",
         "1998-02-09", NULL},
        /* an unknown count of centuries keeps the century unit */
        {"Ukraine was ruled from Moscow for centuries.", 1998, 2, 27, "centuries", "DURATION",
         "PXC", NULL},
        /* "this moment" is the present */
        {"He would not travel at this crucial moment.", 1990, 8, 15, "this crucial moment", "DATE",
         "PRESENT_REF", NULL},
        /* a clock time with its part of the day */
        {"\"She will sail at 4 in the morning (4 a.m. EDT Thursday),\" the captain said.", 2000, 4, 5,
         "4 in the morning", "TIME", "2000-04-06T04:00", NULL},
        {"It is now 11:00 at night in Cairo.", 2011, 2, 1, "11:00 at night", "TIME",
         "2011-02-01T23:00", NULL},
        {"It starts at 3 o'clock in the afternoon.", 2011, 2, 1, "3 o'clock in the afternoon",
         "TIME", "2011-02-01T15:00", NULL},
        /* years of no count; the weeks ahead */
        {"Over the years many more patients died.", 1998, 3, 31, "the years", "DURATION", "PXY",
         NULL},
        {"Funds may sell junk in the weeks ahead.", 1989, 10, 27, "the weeks ahead", "DURATION",
         "PXW", NULL},
        {"It was built in the years 1990 to 1995.", 1998, 3, 31, "1990", "DATE", "1990", NULL},
        /* "decades-long": a length not given */
        {"It is the decades-long battle with the exiles.", 2000, 1, 15, "decades-long", "DURATION",
         "PXY", NULL},
        /* "the previous Friday" counts from the day the story is at; a bare
         * "following Tuesday's" is a preposition */
        {"Shares fell Oct. 27. The index was down 4.5% from the previous Friday.", 1989, 10, 30,
         "the previous Friday", "DATE", "1989-10-20", NULL},
        {"Bombs exploded on July 7, 2005. The following Monday morning, I took a bus.", 2005, 7, 18,
         "The following Monday morning", "DATE", "2005-07-11TMO", NULL},
        {"Aid arrived following Tuesday's earthquake.", 2010, 1, 13, "Tuesday", "DATE",
         "2010-01-12", NULL},
        /* the month just ended, named with "last", is a year before */
        {"73 soldiers were killed last February.", 1998, 3, 1, "last February", "DATE", "1997-02",
         NULL},
        {"73 soldiers were killed last June.", 1989, 10, 25, "last June", "DATE", "1989-06", NULL},
        /* "this June 3, 2011 photo" is the day, not "this June" and a year */
        {"In this June 3, 2011 file photo, workers inspect the dam.", 2011, 6, 5, "June 3, 2011",
         "DATE", "2011-06-03", NULL},
        {"Sales rose this May, officials said.", 2010, 5, 27, "this May", "DATE", "2010-05", NULL},
        /* "from now" is ahead of the DCT as "ago" is behind it */
        {"Six months from now we will know.", 2010, 6, 1, "Six months from now", "DATE",
         "2010-12", NULL},
        {"Six months later we knew.", 2010, 6, 1, "Six months", "DURATION", "P6M", NULL},
        /* looking ahead, "in" a length is a date that far on; else a length */
        {"Building of the new bridge will begin in a week.", 2010, 5, 10, "a week", "DATE",
         "2010-W20", NULL},
        {"The bonds would be repaid in five years.", 1989, 11, 2, "five years", "DATE", "1994",
         NULL},
        {"His second letter in two weeks was published.", 2000, 2, 16, "two weeks", "DURATION",
         "P2W", NULL},
        {"Prices will be the highest in 16 years.", 2011, 10, 3, "16 years", "DURATION", "P16Y",
         NULL},
        {"Fees would be small in a quarter that brought such a drop.", 1989, 10, 26,
         "a quarter", "DURATION", "P1Q", NULL},
        /* "the next morning": that part of the day after the story's day */
        {"She landed on Feb. 21. She met the minister the next morning.", 2000, 2, 24,
         "the next morning", "DATE", "2000-02-22TMO", NULL},
        {"She landed on Feb. 21. She met the minister the next day.", 2000, 2, 24, "the next day",
         "DATE", "2000-02-22", NULL},
        /* "in a year or two" is a vague time ahead */
        {"We might, in a year or two, open a second shop.", 1998, 3, 31, "a year or two", "DATE",
         "FUTURE_REF", NULL},
        {"It may take a year or two.", 1998, 3, 31, "a year", "DURATION", "P1Y", NULL},
        /* "part of tomorrow" is the next day, "the people of tomorrow" is not */
        {"Rain will fall for the better part of tomorrow.", 2010, 6, 1, "tomorrow", "DATE",
         "2010-06-02", NULL},
        {"Fans wait ahead of tomorrow's match.", 2010, 6, 1, "tomorrow", "DATE", "2010-06-02",
         NULL},
        /* "this quarter's" results in a report are the reported quarter's */
        {"The firm posted a profit for the second quarter ended June 30. This quarter's profit "
         "reflects a tax gain.",
         1989, 8, 1, "This quarter", "DATE", "1989-Q2", NULL},
        {"This quarter's sales should rise.", 1989, 11, 1, "This quarter", "DATE", "1989-Q4",
         NULL},
        /* "the then current price" was current in the past */
        {"The fund may sell units at 90% of the then current share value.", 1989, 11, 2,
         "then current", "DATE", "PAST_REF", NULL},
        {"It may buy shares at the current market price.", 1989, 11, 2, "current", "DATE",
         "PRESENT_REF", NULL},
        /* after a modal "one day" is some day ahead; a length elsewhere */
        {"The town will one day be the capital of the region.", 1998, 3, 3, "one day", "DATE",
         "FUTURE_REF", NULL},
        {"The strike will last one day.", 1998, 3, 3, "one day", "DURATION", "P1D", NULL},
        /* a future cue far back in the sentence still sends the date
         * ahead; a past cue nearer, or another quotation, does not */
        {"The ferry will run twice a day from the harbour on weekdays from March 30, with a "
         "third sailing each Sunday from August 6.",
         1998, 2, 13, "August 6", "DATE", "1998-08-06", NULL},
        {"The ferry will run twice a day from the harbour on weekdays from March 30, and a "
         "third one left each Sunday from August 6.",
         1998, 2, 13, "August 6", "DATE", "1997-08-06", NULL},
        {"The mayor said the council would run a set of checks to judge the safety of the old "
         "stone bridge on Tuesday morning.",
         2010, 7, 12, "Tuesday morning", "DATE", "2010-07-13TMO", NULL},
        {"\"The council would run the checks\" is the word from the mayor at the old stone "
         "bridge site on Tuesday morning.",
         2010, 7, 12, "Tuesday morning", "DATE", "2010-07-06TMO", NULL},
        /* "flew" and "saw" are past cues: nearer than a "would" far back */
        {"After aides insisted that the minister would not visit the flooded towns, she "
         "flew into Carlisle on Sunday.",
         2010, 5, 3, "Sunday", "DATE", "2010-05-02", NULL},
        {"After aides insisted that the minister would not visit the flooded towns, she "
         "hopes to be in Carlisle on Sunday.",
         2010, 5, 3, "Sunday", "DATE", "2010-05-09", NULL},
        /* "these days" is nowadays */
        {"Buying a home these days takes a large deposit.", 2010, 6, 1, "these days", "DATE",
         "PRESENT_REF", NULL},
        /* "an additional year", "two extra weeks" */
        {"The loan may be extended for an additional year.", 1989, 11, 2, "an additional year",
         "DURATION", "P1Y", NULL},
        {"They got two extra weeks to finish.", 1989, 11, 2, "two extra weeks", "DURATION", "P2W",
         NULL},
    };

    check_cases(*state, cases, sizeof(cases) / sizeof(cases[0]));
}

/* A TIME dates its sentence on the timeline with its day: the one it names,
 * or for a clock time alone the DCT's, as its value says. */
static void test_time_events(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *text;
        const char *dates; /* the events' dates, in order, comma-separated */
    } cases[] = {
        {"The first plane landed at about 3 p.m. Sunday.", "2011-03-06"},
        {"Great post. March 19, 2011 at 12:28 pm | Reply", "2011-03-19"},
        {"The plane landed at 3 p.m. and left.", "2011-03-07"},
        {"The plane landed at dawn and left.", ""},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char got[128] = "";
        size_t used = 0;
        run_at(f, cases[i].text, 2011, 3, 7);
        for (size_t e = 0; e < f->facts.n_events && used < sizeof(got); e++)
            used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%s", e ? "," : "",
                                     f->facts.events[e].date);
        if (strcmp(got, cases[i].dates))
            fail_msg("\"%s\": events on '%s', want '%s'", cases[i].text, got, cases[i].dates);
    }
}

/* "Three days later": TimeML's duration, dated on the timeline by the
 * previous anchor moved by it. One row: text, DCT, the duration's span and
 * value, the date it resolves to ("" none), and the event of its sentence
 * (NULL: that sentence has none). */
typedef struct signal_case {
    const char *text;
    int y, m, d;
    const char *span, *value, *resolved, *event;
} signal_case;

static void test_signal_dates(void **state)
{
    fixture *f = *state;
    static const signal_case cases[] = {
        {"The rig exploded on April 20, 2010. Two days later, it sank.", 2010, 6, 1, "Two days",
         "P2D", "2010-04-22", "2010-04-22"},
        {"The plant opened on March 3, 2015. A day earlier, workers protested.", 2018, 1, 1,
         "A day", "P1D", "2015-03-02", "2015-03-02"},
        /* weeks are ISO weeks, months months, as the values of dates are */
        {"Talks began on June 7, 2021. Two weeks later the deal was signed.", 2021, 9, 1,
         "Two weeks", "P2W", "2021-W25", "2021-W25"},
        {"The mine closed in October 2009. Six months later it reopened.", 2011, 1, 1, "Six months",
         "P6M", "2010-04", "2010-04"},
        /* an anchor coarser than the unit: no day is made up */
        {"The firm was founded in March 2012. Three days later it hired staff.", 2013, 1, 1,
         "Three days", "P3D", "2012-03", "2012-03"},
        /* a finer date the sentence states wins over the reckoned one */
        {"The well blew out on April 20, 2010. It was capped three months later, on July 15.", 2010,
         9, 8, "three months", "P3M", "2010-07", "2010-07-15"},
        /* hours: the anchor's day (taken at noon), the next past midnight */
        {"The ship left on May 4, 2019. About an hour later it sank.", 2019, 6, 1, "an hour",
         "PT1H", "2019-05-04", "2019-05-04"},
        {"The ship left on May 4, 2019. Thirty hours later it sank.", 2019, 6, 1, "Thirty hours",
         "PT30H", "2019-05-05", "2019-05-05"},
        {"Polls closed at 11 p.m. Saturday. Two hours later the count began.", 2019, 5, 6,
         "Two hours", "PT2H", "2019-05-05", "2019-05-05"},
        {"Polls closed at 9 p.m. Saturday. Two hours later the count began.", 2019, 5, 6,
         "Two hours", "PT2H", "2019-05-04", "2019-05-04"},
        /* "before" / "after" with nothing after them */
        {"The strike ended on July 9, 2010. A day before, talks had failed.", 2010, 8, 1, "A day",
         "P1D", "2010-07-08", "2010-07-08"},
        /* decoys: no anchor before it, an unknown count, a comparison, a
         * signal word that starts the next expression or has an event after it */
        {"Two days later, it sank.", 2010, 6, 1, "Two days", "P2D", "", NULL},
        {"The rig exploded on April 20, 2010. A few days later it sank.", 2010, 6, 1, "A few days",
         "PXD", "", NULL},
        {"The ban began on May 1, 2010. It ended six weeks earlier than planned.", 2010, 11, 1,
         "six weeks", "P6W", "", NULL},
        {"We met on May 1, 2011. I was in Cairo for a week earlier this month.", 2011, 9, 27,
         "a week", "P1W", "", "2011-09"},
        {"The vote was set for May 1, 2010. Two days before the vote, he resigned.", 2010, 6, 1,
         "Two days", "P2D", "", NULL},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const signal_case *c = &cases[i];
        const dl_timex *hit = NULL;
        size_t k;
        run_at(f, c->text, c->y, c->m, c->d);
        for (k = 0; k < f->facts.n_timexes; k++) {
            const dl_timex *tx = &f->facts.timexes[k];
            if (tx->end - tx->start == strlen(c->span) &&
                !memcmp(f->text + tx->start, c->span, strlen(c->span))) {
                hit = tx;
                break;
            }
        }
        if (!hit)
            fail_msg("\"%s\": no timex '%s'", c->text, c->span);
        /* TimeML's reading stays: a duration, no anchor */
        if (hit->type != DL_TIMEX_DURATION || strcmp(hit->value, c->value) || hit->anchored)
            fail_msg("\"%s\": '%s' is %s %s anchored %d, want DURATION %s", c->text, c->span,
                     dl_timex_type_name(hit->type), hit->value, hit->anchored, c->value);
        if (strcmp(hit->resolved, c->resolved))
            fail_msg("\"%s\": '%s' resolves to '%s', want '%s'", c->text, c->span, hit->resolved,
                     c->resolved);
        const dl_event *ev = NULL;
        for (size_t e = 0; e < f->facts.n_events; e++)
            if (f->facts.events[e].sentence == hit->sentence)
                ev = &f->facts.events[e];
        if (!c->event != !ev || (ev && strcmp(ev->date, c->event)))
            fail_msg("\"%s\": its sentence's event is %s, want %s", c->text, ev ? ev->date : "none",
                     c->event ? c->event : "none");
        if (ev && !strcmp(ev->date, c->resolved) && ev->timex != k)
            fail_msg("\"%s\": the event is not the duration's", c->text);
    }
}

static void test_more_decoys(void **state)
{
    fixture *f = *state;
    static const char *const none[] = {
        "The Cravings author, 34, wrote a letter.",
        "He was 52 years old when he retired.",
        "The 6-year-old boy was found.",
        "The island imports about three-quarters of its fuel.",
        "It pays $1.76 a year in dividends.",
        "She won 2,020 votes in 2,019 precincts.",
        "Take Route 1999 to room 2020.",
        "Thus the plan failed.",
        "We spring into action and fall back.",
        "He was arrested at this march.",
        "Jones said on NBC's \"This Week\" that it failed.",
        "He said so on the BBC's \"60 Minutes.\"",
        "This is VOA Today.",
        "Many trips were funded by Turkey, USA TODAY discovered.",
        "Now, he says, it looks like the end.",
        "He paid an additional fee and an extra charge.",
        "The moment he arrived, the lights went out.",
        "I needed to know of this moment forever.",
        "One of these days the builders are going to finish.",
        "He worked until 12 at night.",
        "The exchange's average daily volume is 97 million shares.",
        "Revenue should increase by 20% annually, it said.",
        "Sales may rise 8.5 percent yearly.",
        "She looked like a sheriff in \"High Noon.\"",
        "For the club, high noon has come.",
        "Rules were broken in the period leading up to the explosion.",
        "Censors watch the quarter of a billion web users.",
        "Festivals were held in the Quarter.",
        "It sold 24 and 25 units.",
        /* rates: "a day" after what is counted */
        "The well leaks 5,000 barrels a day.",
        "It costs millions of dollars a year.",
        "BP is spending $6m a day and $7bn a year.",
        "The daily newspaper Haaretz carried it.",
        "He told the Sunday Times and the Mail on Sunday.",
        "She hosted Saturday Night Live.",
        "The series went off the air a quarter-century ago.",
        /* two counts are a range, not their sum ("three-six" is not nine) */
        "It set out a three-six year plan.",
        "Shares rose 5 and 6 percent.",
        "The app is for today's youth what the radio was.",
        "Police raided the house in the early hours.",
        "Architects drew the people of tomorrow for the show, not its buildings.",
        "The call center is open 24 hours a day and staff work three days a week.",
        "It was the ninth day of the dockers' walkout.",
        "Her survey began at a later date than theirs.",
        "She ran the course as last of the team.",
        "The band had two '80s hits.",
        "Several quarters of the old town flooded.",
        "She paused a while before answering.",
        "She is the second daughter of a baker.",
        "Thousands joined the March on the capital.",
        "Critics of the May cabinet spoke up.",
        "She may march again; the march route is set.",
        /* "overnight" of suddenness, and the money market's */
        "It doesn't happen overnight.",
        "Prices fell almost overnight.",
        "There is no overnight solution.",
        "Overnight rates rose to 6%.",
    };

    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        run_at(f, none[i], 2020, 6, 1);
        if (f->facts.n_timexes)
            fail_msg("\"%s\": unexpected timex '%.*s'", none[i],
                     (int)(f->facts.timexes[0].end - f->facts.timexes[0].start),
                     f->text + f->facts.timexes[0].start);
    }
}

static void test_impossible_day_is_not_a_date(void **state)
{
    fixture *f = *state;

    run_at(f, "The form said February 30, 2020 by mistake.", 2020, 6, 1);
    assert_null(value_of(f, "February 30, 2020"));
}

static void test_pathological_input(void **state)
{
    fixture *f = *state;
    size_t n = 10 * 1024 * 1024;
    char *big = malloc(n + 1);
    static const char month[] = "September ";
    size_t mlen = sizeof(month) - 1, reps = 100000;

    assert_non_null(big);
    memset(big, '7', n);
    big[n] = '\0';
    run_at(f, big, 2020, 1, 1);
    assert_int_equal(f->facts.n_timexes, 0);
    free(big);

    big = malloc(mlen * reps + 1);
    assert_non_null(big);
    for (size_t i = 0; i < reps; i++)
        memcpy(big + i * mlen, month, mlen);
    big[mlen * reps] = '\0';
    run_at(f, big, 2020, 1, 1);
    assert_int_equal(f->facts.n_timexes, reps);
    free(big);

    /* Repeated words that start many partial matches ("one one one ...",
     * "the past the past ...") must not make matching quadratic. */
    static const char *const words[] = {"one ", "the past ", "Monday, ", "more than ", "nineteen "};
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
        size_t wl = strlen(words[w]), nw = 100000;
        assert_non_null(big = malloc(wl * nw + 1));
        for (size_t i = 0; i < nw; i++)
            memcpy(big + i * wl, words[w], wl);
        big[wl * nw] = '\0';
        run_at(f, big, 2020, 1, 1);
        free(big);
    }

    /* Empty text and binary-looking bytes are fine too. */
    run_at(f, "", 2020, 1, 1);
    assert_int_equal(f->facts.n_timexes, 0);
    assert_int_equal(f->facts.n_sentences, 0);
    run_at(f, "\x01\x02\x7f....!!!???\t\t\n\n", 2020, 1, 1);
}

static void test_limit(void **state)
{
    fixture *f = *state;

    dl_extractor_set_limit(f->ex, 2);
    run_at(f, "In January, February and March, then April.", 2020, 6, 1);
    assert_int_equal(f->facts.n_timexes, 2);
}

/* Writes @p body to DIR/name.yaml and returns the rules load error. */
static int load_bad(const char *body, dl_err *err)
{
    char dir[] = "/tmp/dl-rules-XXXXXX", path[64];
    dl_rules *r = NULL;
    FILE *fp;
    int rc;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/bad.yaml", dir);
    assert_non_null(fp = fopen(path, "w"));
    fputs(body, fp);
    fclose(fp);
    rc = dl_rules_load(dir, &r, err);
    dl_rules_free(r);
    unlink(path);
    rmdir(dir);
    return rc;
}

static void test_rule_errors(void **state)
{
    dl_err err = {0};

    (void)state;
    assert_int_equal(load_bad("timex:\n  - name: x\n    type: DATE\n    norm: date\n"
                              "    pattern: '(unclosed'\n",
                              &err),
                     DL_ERULES);
    assert_int_equal(err.line, 5);
    assert_int_equal(err.col, 14);
    assert_non_null(strstr(err.msg, "bad pattern"));

    assert_int_equal(load_bad("timex:\n  - name: x\n    norm: date\n    pattern: '{nosuch}'\n", &err),
                     DL_ERULES);
    assert_int_equal(err.line, 4);
    assert_non_null(strstr(err.msg, "unknown lexicon"));

    assert_int_equal(load_bad("timex:\n  - name: x\n    norm: date\n    colour: red\n"
                              "    pattern: 'a'\n",
                              &err),
                     DL_ERULES);
    assert_int_equal(err.line, 4);
    assert_int_equal(err.col, 5);

    assert_int_equal(load_bad("timex:\n  - name: x\n    norm: date\n    pattern: '(?<when>a)'\n",
                              &err),
                     DL_ERULES);
    assert_non_null(strstr(err.msg, "group 'when'"));

    assert_int_equal(load_bad("timex:\n  - name: x\n    norm: date\n    when: past\n"
                              "    pattern: 'a'\n",
                              &err),
                     DL_ERULES);
    assert_int_equal(err.line, 4);
    assert_non_null(strstr(err.msg, "when must be future"));

    assert_int_equal(load_bad("timex:\n  - name: x\n    norm: date\n    after_months: short\n"
                              "    pattern: 'a'\n",
                              &err),
                     DL_ERULES);
    assert_int_equal(err.line, 4);
    assert_non_null(strstr(err.msg, "after_months must be length"));
    assert_int_equal(load_bad("timex:\n  - name: x\n    norm: date\n    after_months: length\n"
                              "    pattern: 'a'\n",
                              &err),
                     DL_ERULES);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "after_months needs norm relative"));

    assert_int_equal(load_bad("timex: [\n", &err), DL_ERULES);
    assert_true(err.line >= 1);
    assert_non_null(strstr(err.msg, "YAML"));

    assert_int_equal(dl_rules_load("/nonexistent-dir", &(dl_rules *){NULL}, &err), DL_EIO);
}

/* A lexicon is expanded as an alternation factored by shared prefixes
 * (rules.c): every word still matches, the longest first ("september", not
 * "sep"), a word that goes on with a blank ("may day") before its prefix
 * ("may"), and none inside a longer word ("mayday"). */
static void test_lexicon_alternation(void **state)
{
    static const char *const want[] = {"sept.", "september", "sep", "may day",
                                       "mar",   "march",     "may."};
    const char *text = "In sept. and september, not sep- but sep and may day, mar and "
                       "march, mayday, may.";
    char dir[] = "/tmp/dl-rules-XXXXXX", path[64];
    dl_rules *r = NULL;
    dl_extractor *ex = NULL;
    dl_facts facts;
    dl_dct dct = {2020, 1, 1};
    dl_err err = {0};
    FILE *fp;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/t.yaml", dir);
    assert_non_null(fp = fopen(path, "w"));
    fputs("lexicons:\n  unit_word: [sep, sept, september, mar, march, may, may day]\n"
          "timex:\n  - name: w\n    type: DATE\n    norm: literal\n    value: X\n"
          "    pattern: '{unit_word}\\.?(?!-)'\n",
          fp);
    fclose(fp);
    assert_int_equal(dl_rules_load(dir, &r, &err), 0);
    unlink(path);
    rmdir(dir);
    assert_non_null(ex = dl_extractor_new(r, &err));
    assert_int_equal(dl_extract(ex, (dl_slice){text, strlen(text)}, &dct, &facts, &err), 0);
    assert_int_equal(facts.n_timexes, sizeof(want) / sizeof(*want));
    for (size_t i = 0; i < facts.n_timexes; i++) {
        const dl_timex *tx = &facts.timexes[i];
        assert_int_equal(tx->end - tx->start, strlen(want[i]));
        assert_memory_equal(text + tx->start, want[i], strlen(want[i]));
    }
    dl_extractor_free(ex);
    dl_rules_free(r);
}

static void test_rules_hash(void **state)
{
    fixture *f = *state;
    const char *h = dl_rules_hash(f->rules);

    assert_int_equal(strlen(h), 16);
    assert_true(strspn(h, "0123456789abcdef") == 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_article),
        cmocka_unit_test(test_sentences),
        cmocka_unit_test(test_explicit_dates),
        cmocka_unit_test(test_relative_and_tense),
        cmocka_unit_test(test_anaphora),
        cmocka_unit_test(test_decoys),
        cmocka_unit_test(test_impossible_day_is_not_a_date),
        cmocka_unit_test(test_lexicon_alternation),
        cmocka_unit_test(test_rule_families),
        cmocka_unit_test(test_more_decoys),
        cmocka_unit_test(test_signal_dates),
        cmocka_unit_test(test_time_events),
        cmocka_unit_test(test_pathological_input),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_rule_errors),
        cmocka_unit_test(test_rules_hash),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
