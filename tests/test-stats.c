/* test-stats.c: a day's figures from the history (kc-store-stats.h)
 *
 * Time zones are POSIX TZ strings, which need no tzdata: "UZT-5" is
 * Tashkent's UTC+5, "EST5EDT,M3.2.0,M11.1.0" New York's rules.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <time.h>

#include "core/kc-store-stats.h"
#include "kc-test-util.h"

#define LOCAL_TZ "UZT-5"
#define NEW_YORK "EST5EDT,M3.2.0,M11.1.0"

typedef struct
{
  char    *dir;
  KcStore *store;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  f->dir = kc_test_make_tmpdir ();
  path = g_build_filename (f->dir, "calls.db", NULL);
  f->store = kc_store_open (path, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->store);
  kc_test_rm_rf (f->dir);
  g_free (f->dir);
}

/* A CDR-like row: the call rang `wait` seconds and was talked `talk` */
static void
add (Fixture      *f,
     const char   *call_id,
     const char   *from,
     const char   *to,
     gint64        start,
     KcCallStatus  status,
     gint64        wait,
     gint64        talk)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_record_free);
  g_autoptr (GError) error = NULL;
  KcRecord *record = kc_record_new ();

  record->call_id = g_strdup (call_id);
  record->from_number = g_strdup (from);
  record->to_number = g_strdup (to);
  kc_classify_call (from, to, NULL, 4, &record->direction);
  record->extension = g_strdup (record->direction == KC_DIRECTION_INCOMING ? to : from);
  record->start_time = start;
  record->duration = wait + talk;
  record->end_time = start + wait + talk;
  record->answered = talk;
  record->status = status;
  record->from_cdr = TRUE;
  g_ptr_array_add (records, record);
  g_assert_true (kc_store_upsert_records (f->store, records, NULL, &error));
  g_assert_no_error (error);
}

static gint64
at (GDateTime *day,
    int        hour,
    int        minute,
    int        second)
{
  g_autoptr (GDateTime) t = NULL;
  int y, m, d;

  g_date_time_get_ymd (day, &y, &m, &d);
  t = g_date_time_new (g_date_time_get_timezone (day), y, m, d, hour, minute, second);
  return g_date_time_to_unix (t);
}

static void
get_stats (Fixture    *f,
           GDateTime  *day,
           const char *extension,
           KcDayStats *stats)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (kc_store_get_day_stats (f->store, day, extension, stats, &error));
  g_assert_no_error (error);
}

/* A day of known answers, in the local time zone, today (the follow-up
 * counts from the day the history was created) */
static void
test_day (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr (GDateTime) today = g_date_time_new_now_local ();
  KcDayStats stats;

  /* Just outside the day, either side */
  add (f, "before", "+998900000001", "1001", at (today, 0, 0, 0) - 1, KC_CALL_STATUS_MISSED, 9, 0);
  add (f, "after", "+998900000002", "1001", at (today, 0, 0, 0) + 24 * 3600,
       KC_CALL_STATUS_MISSED, 9, 0);
  /* The day */
  add (f, "c1", "+998900000003", "1001", at (today, 0, 0, 0), KC_CALL_STATUS_MISSED, 70, 0);
  add (f, "c2", "+998900000004", "1001", at (today, 9, 5, 0), KC_CALL_STATUS_ANSWERED, 20, 80);
  add (f, "c3", "+998900000005", "1001", at (today, 9, 30, 0), KC_CALL_STATUS_MISSED, 45, 0);
  add (f, "c4", "+998900000006", "1001", at (today, 9, 59, 59), KC_CALL_STATUS_MISSED, 10, 0);
  add (f, "c5", "1001", "+998900000006", at (today, 10, 15, 0), KC_CALL_STATUS_ANSWERED, 10, 190);
  add (f, "c6", "+998900000007", "1001", at (today, 14, 0, 0), KC_CALL_STATUS_BUSY, 3, 0);
  add (f, "c7", "+998900000008", "1002", at (today, 23, 59, 59), KC_CALL_STATUS_ANSWERED, 5, 30);

  get_stats (f, today, NULL, &stats);
  g_assert_cmpuint (stats.incoming, ==, 6);
  g_assert_cmpuint (stats.outgoing, ==, 1);
  g_assert_cmpuint (stats.answered, ==, 2);
  g_assert_cmpuint (stats.missed, ==, 3);
  /* c4's caller was called back at 10:15 */
  g_assert_cmpuint (stats.to_call_back, ==, 2);
  /* (80 + 190 + 30) / 3 */
  g_assert_cmpint (stats.average_talk, ==, 100);
  g_assert_cmpint (stats.longest_wait, ==, 70);
  g_assert_cmpuint (stats.hours[0].missed, ==, 1);
  g_assert_cmpuint (stats.hours[9].answered, ==, 1);
  g_assert_cmpuint (stats.hours[9].missed, ==, 2);
  g_assert_cmpuint (stats.hours[10].answered + stats.hours[10].missed, ==, 0);
  g_assert_cmpuint (stats.hours[14].answered + stats.hours[14].missed, ==, 0);
  g_assert_cmpuint (stats.hours[23].answered, ==, 1);

  /* The operator's own calls only */
  get_stats (f, today, "1002", &stats);
  g_assert_cmpuint (stats.incoming, ==, 1);
  g_assert_cmpuint (stats.outgoing, ==, 0);
  g_assert_cmpuint (stats.answered, ==, 1);
  g_assert_cmpuint (stats.missed, ==, 0);
  g_assert_cmpuint (stats.to_call_back, ==, 0);
  g_assert_cmpint (stats.average_talk, ==, 30);
  g_assert_cmpint (stats.longest_wait, ==, 5);
}

static void
test_empty_day (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GDateTime) today = g_date_time_new_now_local ();
  KcDayStats stats;

  get_stats (f, today, NULL, &stats);
  g_assert_cmpuint (stats.incoming + stats.outgoing + stats.to_call_back, ==, 0);
  g_assert_cmpint (stats.average_talk, ==, 0);
  g_assert_cmpint (stats.longest_wait, ==, 0);
}

/* The local day, not the UTC one: 00:30 in Tashkent is the day before in
 * UTC, and New York's day the clocks go back has 25 hours, its 1 a.m. twice */
static void
test_time_zones (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr (GTimeZone) tashkent = g_time_zone_new_identifier (LOCAL_TZ);
  g_autoptr (GTimeZone) new_york = g_time_zone_new_identifier (NEW_YORK);
  g_autoptr (GDateTime) day = g_date_time_new (tashkent, 2026, 12, 7, 12, 0, 0);
  g_autoptr (GDateTime) fall = g_date_time_new (new_york, 2026, 11, 1, 12, 0, 0);
  g_autoptr (GDateTime) spring = g_date_time_new (new_york, 2026, 3, 8, 12, 0, 0);
  KcDayStats stats;
  gint64 start, end;

  kc_day_bounds (day, &start, &end);
  /* 2026-12-06T19:00:00Z */
  g_assert_cmpint (start, ==, 1796583600);
  g_assert_cmpint (end - start, ==, 24 * 3600);
  add (f, "t1", "+998900000001", "1001", start + 30 * 60, KC_CALL_STATUS_ANSWERED, 5, 5);
  get_stats (f, day, NULL, &stats);
  g_assert_cmpuint (stats.answered, ==, 1);
  g_assert_cmpuint (stats.hours[0].answered, ==, 1);

  kc_day_bounds (fall, &start, &end);
  g_assert_cmpint (end - start, ==, 25 * 3600);
  /* 01:30 EDT, 01:30 EST, 03:30 EST */
  add (f, "f1", "+12125550001", "1001", start + 90 * 60, KC_CALL_STATUS_ANSWERED, 5, 5);
  add (f, "f2", "+12125550002", "1001", start + 150 * 60, KC_CALL_STATUS_MISSED, 5, 0);
  add (f, "f3", "+12125550003", "1001", start + 270 * 60, KC_CALL_STATUS_MISSED, 5, 0);
  get_stats (f, fall, NULL, &stats);
  g_assert_cmpuint (stats.hours[1].answered, ==, 1);
  g_assert_cmpuint (stats.hours[1].missed, ==, 1);
  g_assert_cmpuint (stats.hours[2].missed, ==, 0);
  g_assert_cmpuint (stats.hours[3].missed, ==, 1);

  kc_day_bounds (spring, &start, &end);
  g_assert_cmpint (end - start, ==, 23 * 3600);
  /* 01:30 EST, then 03:30 EDT (2 a.m. never comes) */
  add (f, "s1", "+12125550004", "1001", start + 90 * 60, KC_CALL_STATUS_MISSED, 5, 0);
  add (f, "s2", "+12125550005", "1001", start + 150 * 60, KC_CALL_STATUS_MISSED, 5, 0);
  get_stats (f, spring, NULL, &stats);
  g_assert_cmpuint (stats.missed, ==, 2);
  g_assert_cmpuint (stats.hours[1].missed, ==, 1);
  g_assert_cmpuint (stats.hours[2].missed, ==, 0);
  g_assert_cmpuint (stats.hours[3].missed, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  /* The local day is Tashkent's, for SQLite (the follow-up's first day) as
   * for GLib */
  g_setenv ("TZ", LOCAL_TZ, TRUE);
  tzset ();
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/stats/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("day", test_day);
  ADD ("empty-day", test_empty_day);
  ADD ("time-zones", test_time_zones);
#undef ADD

  return g_test_run ();
}
