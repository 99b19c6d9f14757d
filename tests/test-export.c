/* test-export.c: the call history as a CSV file, from the store and from
 * `kerio-cti --export`
 *
 * The local time zone is fixed (UTC+5, no daylight saving).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <sys/wait.h>

#include "core/kc-export.h"
#include "core/kc-store-context.h"
#include "kc-test-util.h"

#define TZ "<+05>-5"
#define BOM "\xEF\xBB\xBF"

typedef struct
{
  char    *dir;      /* XDG_DATA_HOME of the command line runs */
  char    *db_path;  /* its kerio-cti/calls.db */
  KcStore *store;
  char    *out_dir;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *folder = NULL;

  f->dir = kc_test_make_tmpdir ();
  folder = g_build_filename (f->dir, "kerio-cti", NULL);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  f->db_path = g_build_filename (folder, "calls.db", NULL);
  f->store = kc_store_open (f->db_path, &error);
  g_assert_no_error (error);
  f->out_dir = kc_test_make_tmpdir ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->store);
  kc_test_rm_rf (f->dir);
  kc_test_rm_rf (f->out_dir);
  g_free (f->dir);
  g_free (f->db_path);
  g_free (f->out_dir);
}

static gint64
local_unix (int year,
            int month,
            int day,
            int hour,
            int minute,
            int second)
{
  g_autoptr (GDateTime) t = g_date_time_new_local (year, month, day, hour, minute, second);

  return g_date_time_to_unix (t);
}

static void
add (Fixture      *f,
     const char   *call_id,
     KcDirection   direction,
     const char   *from,
     const char   *to,
     gint64        start,
     gint64        duration,
     gint64        answered,
     KcCallStatus  status,
     gboolean      voicemail)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_record_free);
  g_autoptr (GError) error = NULL;
  KcRecord *record = kc_record_new ();
  guint n_new;

  record->call_id = g_strdup (call_id);
  record->direction = direction;
  record->from_number = g_strdup (from);
  record->to_number = g_strdup (to);
  record->extension = g_strdup (direction == KC_DIRECTION_INCOMING ? to : from);
  record->start_time = start;
  record->duration = duration;
  record->end_time = start + duration;
  record->answered = answered;
  record->status = status;
  record->voicemail = voicemail;
  record->from_cdr = TRUE;
  g_ptr_array_add (records, record);
  g_assert_true (kc_store_upsert_records (f->store, records, &n_new, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_new, ==, 1);
}

static char *
out_path (Fixture    *f,
          const char *name)
{
  return g_build_filename (f->out_dir, name, NULL);
}

static char *
read_all (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static guint
n_files (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

/* Rows a spreadsheet must take as they are: quotes, commas and line breaks
 * in names, letters of Uzbek, formulas in numbers and names a caller could
 * have chosen */
static void
add_tricky_rows (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  add (f, "cdr-1", KC_DIRECTION_INCOMING, "+998901234567", "1001",
       local_unix (2026, 12, 7, 14, 5, 0), 65, 50, KC_CALL_STATUS_ANSWERED, FALSE);
  g_assert_true (kc_store_set_crm_answer (f->store, "+998901234567",
                                          "Aziz \"Boss\" Karimov, Sharq", NULL, 0, &error));
  add (f, "cdr-2", KC_DIRECTION_OUTGOING, "1002", "=cmd|' /C calc'!A0",
       local_unix (2026, 12, 7, 0, 0, 0), 5, 0, KC_CALL_STATUS_BUSY, FALSE);
  add (f, "cdr-3", KC_DIRECTION_INCOMING, "-1+2", "1003", local_unix (2026, 12, 6, 23, 59, 59),
       20, 0, KC_CALL_STATUS_MISSED, TRUE);
  g_assert_true (kc_store_set_pbx_name (f->store, "-1+2", "@SUM(1+1)", &error));
  add (f, "cdr-4", KC_DIRECTION_INCOMING, "+998935554433", "1001",
       local_unix (2025, 1, 1, 4, 59, 0), 3600, 3500, KC_CALL_STATUS_ANSWERED, FALSE);
  g_assert_true (kc_store_set_pbx_name (f->store, "+998935554433", "Gʻayrat\nOʻrinboyev",
                                        &error));
  g_assert_true (kc_store_set_recording_path (f->store, "cdr-4", "/home/op/rec,1.wav", &error));
  add (f, "cdr-5", KC_DIRECTION_INCOMING, "1002", "1001", local_unix (2026, 12, 8, 0, 0, 0), 0,
       0, KC_CALL_STATUS_FAILED, FALSE);
  g_assert_no_error (error);
}

#define HEADER                                                                            \
  "id,callId,direction,fromNumber,toNumber,name,extension,startTimeLocal,startTime,"     \
  "endTimeLocal,endTime,duration,answeredDuration,status,recordingPath\r\n"

static const char tricky_csv[] =
  BOM HEADER
  "00000000-0000-4000-8000-000000000005,cdr-5,Incoming,1002,1001,Timur,1001,"
  "2026-12-08 00:00:00,2026-12-07T19:00:00Z,2026-12-08 00:00:00,2026-12-07T19:00:00Z,0,0,"
  "Failed,\r\n"
  "00000000-0000-4000-8000-000000000001,cdr-1,Incoming,+998901234567,1001,"
  "\"Aziz \"\"Boss\"\" Karimov, Sharq\",1001,2026-12-07 14:05:00,2026-12-07T09:05:00Z,"
  "2026-12-07 14:06:05,2026-12-07T09:06:05Z,65,50,Answered,\r\n"
  "00000000-0000-4000-8000-000000000002,cdr-2,Outgoing,1002,'=cmd|' /C calc'!A0,,1002,"
  "2026-12-07 00:00:00,2026-12-06T19:00:00Z,2026-12-07 00:00:05,2026-12-06T19:00:05Z,5,0,"
  "Busy,\r\n"
  "00000000-0000-4000-8000-000000000003,cdr-3,Incoming,'-1+2,1003,'@SUM(1+1),1003,"
  "2026-12-06 23:59:59,2026-12-06T18:59:59Z,2026-12-07 00:00:19,2026-12-06T19:00:19Z,20,0,"
  "\"Missed, voicemail\",\r\n"
  "00000000-0000-4000-8000-000000000004,cdr-4,Incoming,+998935554433,1001,"
  "\"Gʻayrat\nOʻrinboyev\",1001,2025-01-01 04:59:00,2024-12-31T23:59:00Z,"
  "2025-01-01 05:59:00,2025-01-01T00:59:00Z,3600,3500,Answered,\"/home/op/rec,1.wav\"\r\n";

static void
add_directory (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries =
    g_ptr_array_new_with_free_func ((GDestroyNotify) kc_directory_entry_free);
  KcDirectoryEntry *entry = g_new0 (KcDirectoryEntry, 1);

  entry->number = g_strdup ("1002");
  entry->name = g_strdup ("Timur");
  g_ptr_array_add (entries, entry);
  g_assert_true (kc_store_replace_directory (f->store, entries, &error));
  g_assert_no_error (error);
}

static void
test_export_bytes (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcExport) export = kc_export_new (f->db_path, NULL);
  g_autofree char *path = out_path (f, "calls.csv");
  g_autofree char *csv = NULL;

  add_tricky_rows (f);
  add_directory (f);
  g_assert_true (kc_export_run (export, path, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kc_export_get_n_written (export), ==, 5);
  csv = read_all (path);
  g_assert_cmpstr (csv, ==, tricky_csv);
  /* Nothing left beside it */
  g_assert_cmpuint (n_files (f->out_dir), ==, 1);
}

/* What a filter shows is what is written: the history page's filters */
static void
test_export_filter (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  KcHistoryFilter filter = { (char *) "99890", KC_DIRECTION_INCOMING, -1, -1, -1 };
  g_autoptr (KcExport) export = kc_export_new (f->db_path, &filter);
  g_autofree char *path = out_path (f, "filtered.csv");
  g_autofree char *csv = NULL;
  g_autofree char *empty = NULL;
  g_autoptr (KcExport) none = NULL;

  add_tricky_rows (f);
  g_assert_true (kc_export_run (export, path, NULL, &error));
  csv = read_all (path);
  g_assert_cmpuint (kc_export_get_n_written (export), ==, 1);
  g_assert_true (g_str_has_prefix (csv, BOM HEADER "00000000-0000-4000-8000-000000000001,cdr-1,"));

  filter.number = (char *) "7777";
  none = kc_export_new (f->db_path, &filter);
  g_assert_true (kc_export_run (none, path, NULL, &error));
  empty = read_all (path);
  g_assert_cmpstr (empty, ==, BOM HEADER);
}

/* A file there already is replaced whole; a failed or cancelled export
 * leaves it as it was and nothing beside it */
static void
test_export_replace_and_cancel (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcExport) export = kc_export_new (f->db_path, NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autofree char *path = out_path (f, "calls.csv");
  g_autofree char *fresh = out_path (f, "new.csv");
  g_autofree char *missing = g_build_filename (f->out_dir, "no-such-folder", "calls.csv", NULL);
  g_autofree char *csv = NULL;

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *id = g_strdup_printf ("c-%u", i);

      add (f, id, KC_DIRECTION_INCOMING, "+998901234567", "1001", 1700000000 + i * 60, 30, 20,
           KC_CALL_STATUS_ANSWERED, FALSE);
    }
  g_assert_true (g_file_set_contents (path, "old", -1, &error));

  g_cancellable_cancel (cancellable);
  g_assert_false (kc_export_run (export, path, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  csv = read_all (path);
  g_assert_cmpstr (csv, ==, "old");
  g_assert_cmpuint (n_files (f->out_dir), ==, 1);

  /* On its thread, cancelled at once */
  g_clear_object (&cancellable);
  cancellable = g_cancellable_new ();
  kc_export_run_async (export, fresh, cancellable, kc_test_store_result, &result);
  g_cancellable_cancel (cancellable);
  KC_TEST_AWAIT (result);
  g_assert_false (kc_export_run_finish (export, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_false (g_file_test (fresh, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (n_files (f->out_dir), ==, 1);

  g_assert_false (kc_export_run (export, missing, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);

  g_clear_object (&result);
  kc_export_run_async (export, path, NULL, kc_test_store_result, &result);
  KC_TEST_AWAIT (result);
  g_assert_true (kc_export_run_finish (export, result, &error));
  g_assert_no_error (error);
  g_clear_pointer (&csv, g_free);
  csv = read_all (path);
  g_assert_true (g_str_has_prefix (csv, BOM HEADER));
  g_assert_cmpuint (kc_export_get_n_written (export), ==, 20);
  g_assert_cmpuint (n_files (f->out_dir), ==, 1);
}

/* --- kerio-cti --export */

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}

static Run
run_cli (Fixture    *f,
         const char *first,
         ...)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_auto (GStrv) envp = g_get_environ ();
  Run run = { 0 };
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("KERIO_CTI"));
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  envp = g_environ_setenv (envp, "XDG_DATA_HOME", f->dir, TRUE);
  envp = g_environ_setenv (envp, "TZ", TZ, TRUE);
  envp = g_environ_setenv (envp, "LC_ALL", "C", TRUE);
  envp = g_environ_unsetenv (envp, "LANGUAGE");

  g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_DEFAULT, kc_test_die_with_parent,
                NULL, &run.out, &run.err, &run.status, &error);
  g_assert_no_error (error);
  g_test_message ("stderr: %s", run.err);
  run.status = WIFEXITED (run.status) ? WEXITSTATUS (run.status) : -1;
  return run;
}

/* --since and --until are local days, both included */
static void
test_cli_days (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *path = out_path (f, "day.csv");
  g_autofree char *message = g_strdup_printf ("Exported 2 calls to %s\n", path);
  g_autofree char *arg = g_strconcat ("--export=", path, NULL);
  g_autofree char *csv = NULL;
  Run run;

  add_tricky_rows (f);
  g_clear_object (&f->store);
  run = run_cli (f, arg, "--since=2026-12-07", "--until=2026-12-07", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.err, ==, message);
  g_assert_cmpstr (run.out, ==, "");
  csv = read_all (path);
  /* 00:00:00 and 14:05 of the day; not 23:59:59 of the day before nor
   * 00:00:00 of the day after */
  g_assert_nonnull (strstr (csv, ",cdr-1,"));
  g_assert_nonnull (strstr (csv, ",cdr-2,"));
  g_assert_null (strstr (csv, ",cdr-3,"));
  g_assert_null (strstr (csv, ",cdr-5,"));
  run_clear (&run);

  g_clear_pointer (&message, g_free);
  message = g_strdup_printf ("Exported 1 call to %s\n", path);
  run = run_cli (f, arg, "--since=2026-12-08", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.err, ==, message);
  run_clear (&run);

  /* Standard output: the file itself */
  run = run_cli (f, "--export=-", "--until=2025-01-01", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_str_has_prefix (run.out, BOM HEADER "00000000-0000-4000-8000-000000000004,"));
  g_assert_cmpstr (run.err, ==, "Exported 1 call to standard output\n");
  run_clear (&run);
}

static void
test_cli_errors (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *path = out_path (f, "x.csv");
  g_autofree char *arg = g_strconcat ("--export=", path, NULL);
  g_autofree char *missing = g_build_filename (f->out_dir, "no", "x.csv", NULL);
  g_autofree char *missing_arg = g_strconcat ("--export=", missing, NULL);
  static const char *const bad_dates[] = {
    "--since=2026-02-30", "--since=07.12.2026", "--until=2026-12-7", "--until=tomorrow",
    "--since=2026-13-01",
  };
  Run run;

  for (guint i = 0; i < G_N_ELEMENTS (bad_dates); i++)
    {
      run = run_cli (f, arg, bad_dates[i], NULL);
      g_assert_cmpint (run.status, ==, 2);
      g_assert_nonnull (strstr (run.err, "is not a date such as 2026-12-07"));
      run_clear (&run);
    }
  run = run_cli (f, arg, "--since=2026-12-08", "--until=2026-12-07", NULL);
  g_assert_cmpint (run.status, ==, 2);
  run_clear (&run);
  run = run_cli (f, "--since=2026-12-08", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "--export"));
  run_clear (&run);

  run = run_cli (f, missing_arg, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "Could not write"));
  g_assert_nonnull (strstr (run.err, missing));
  run_clear (&run);
  g_assert_cmpuint (n_files (f->out_dir), ==, 0);

  /* No history yet: none is made */
  g_clear_object (&f->store);
  kc_test_rm_rf (f->dir);
  run = run_cli (f, arg, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "There is no call history"));
  run_clear (&run);
  g_assert_false (g_file_test (f->dir, G_FILE_TEST_EXISTS));
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("TZ", TZ, TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/export/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("bytes", test_export_bytes);
  ADD ("filter", test_export_filter);
  ADD ("replace-and-cancel", test_export_replace_and_cancel);
  ADD ("cli/days", test_cli_days);
  ADD ("cli/errors", test_cli_errors);
#undef ADD

  return g_test_run ();
}
