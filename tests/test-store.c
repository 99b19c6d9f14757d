/* test-store.c: the call history database
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <sqlite3.h>
#include <sys/stat.h>

#include "core/kc-store.h"
#include "kerio/kc-kerio-types.h"
#include "kc-test-util.h"

/* 2025-01-01T12:00:00Z */
#define T0 1735732800

typedef struct
{
  char    *dir;
  char    *path;
  KcStore *store;
  guint    n_changed;
} Fixture;

static void
on_changed (KcStore *store,
            guint   *n_changed)
{
  (*n_changed)++;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  f->dir = kc_test_make_tmpdir ();
  f->path = g_build_filename (f->dir, "calls.db", NULL);
  f->store = kc_store_open (f->path, &error);
  g_assert_no_error (error);
  g_signal_connect (f->store, "changed", G_CALLBACK (on_changed), &f->n_changed);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->store);
  kc_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static KcRecord *
make_record (const char   *call_id,
             const char   *from,
             const char   *to,
             gint64        start,
             gint64        duration,
             KcCallStatus  status)
{
  KcRecord *record = kc_record_new ();

  record->call_id = g_strdup (call_id);
  record->from_number = g_strdup (from);
  record->to_number = g_strdup (to);
  kc_classify_call (from, to, NULL, 4, &record->direction);
  record->extension = g_strdup (record->direction == KC_DIRECTION_INCOMING ? to : from);
  record->start_time = start;
  record->duration = duration;
  record->end_time = start + duration;
  record->status = status;
  record->answered = status == KC_CALL_STATUS_ANSWERED ? duration / 2 : 0;
  record->from_cdr = TRUE;
  return record;
}

static GPtrArray *
records_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) kc_record_free);
}

static guint
upsert (KcStore   *store,
        GPtrArray *records)
{
  g_autoptr (GError) error = NULL;
  guint n_new = G_MAXUINT;

  g_assert_true (kc_store_upsert_records (store, records, &n_new, &error));
  g_assert_no_error (error);
  return n_new;
}

/* Takes ownership of record */
static guint
upsert_one (KcStore  *store,
            KcRecord *record)
{
  g_autoptr (GPtrArray) records = records_new ();

  g_ptr_array_add (records, record);
  return upsert (store, records);
}

/* Takes ownership of record */
static void
add_live (KcStore  *store,
          KcRecord *record)
{
  g_autoptr (KcRecord) owned = record;
  g_autoptr (GError) error = NULL;

  owned->from_cdr = FALSE;
  g_assert_true (kc_store_add_live_record (store, owned, &error));
  g_assert_no_error (error);
}

static KcRecord *
lookup (KcStore    *store,
        const char *call_id)
{
  g_autoptr (GError) error = NULL;
  KcRecord *record = kc_store_lookup (store, call_id, &error);

  g_assert_no_error (error);
  return record;
}

static guint
file_mode (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 0777;
}

static void
read_file (const char  *path,
           char       **contents,
           gsize       *length)
{
  g_autoptr (GError) error = NULL;

  g_file_get_contents (path, contents, length, &error);
  g_assert_no_error (error);
}

static gint64
sqlite_int (sqlite3    *db,
            const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static char *
sqlite_text (sqlite3    *db,
             const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return value;
}

static sqlite3 *
sqlite_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                   ==, SQLITE_OK);
  return db;
}

/* The schema version a new history is created at: every migration run */
static gint64
latest_version (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = kc_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "latest.db", NULL);
  g_autoptr (KcStore) store = kc_store_open (path, &error);
  sqlite3 *db;
  gint64 version;

  g_assert_no_error (error);
  db = sqlite_open (path);
  version = sqlite_int (db, "PRAGMA user_version");
  sqlite3_close (db);
  g_clear_object (&store);
  kc_test_rm_rf (dir);
  /* v4, the design's view, is there to migrate from v1 and v2 */
  g_assert_cmpint (version, >=, 4);
  return version;
}

static void
sqlite_exec (sqlite3    *db,
             const char *sql)
{
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
}

/* The history is private: nobody else on the machine may read it, whatever
 * the umask the application was started with. */
static void
test_store_private_files (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autofree char *path = kc_store_default_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_autofree char *mode = NULL;
  g_autofree char *start = NULL;
  g_autofree char *end = NULL;
  mode_t old_umask = umask (0);
  sqlite3 *db;

  g_assert_true (g_str_has_prefix (path, g_get_user_data_dir ()));
  g_assert_true (g_str_has_suffix (path, "/kerio-cti/calls.db"));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));

  store = kc_store_open (path, &error);
  umask (old_umask);
  g_assert_no_error (error);
  g_assert_cmpstr (kc_store_get_path (store), ==, path);
  g_assert_cmpint (upsert_one (store, make_record ("c1", "+998901234567", "1001", T0, 65,
                                                   KC_CALL_STATUS_ANSWERED)),
                   ==, 1);

  g_assert_cmphex (file_mode (dir), ==, 0700);
  g_assert_cmphex (file_mode (path), ==, 0600);
  g_assert_cmphex (file_mode (wal), ==, 0600);
  g_assert_cmphex (file_mode (shm), ==, 0600);

  db = sqlite_open (path);
  g_assert_cmpint (sqlite_int (db, "PRAGMA user_version"), ==, latest_version ());
  mode = sqlite_text (db, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpint (sqlite_int (db, "SELECT count(*) FROM calls"), ==, 1);
  /* Other tools reading the file see plain Unix times (UTC), which SQLite's
   * own date functions read. */
  g_assert_cmpint (sqlite_int (db, "SELECT start_time FROM calls"), ==, T0);
  start = sqlite_text (db, "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', start_time, 'unixepoch')"
                           " FROM calls");
  end = sqlite_text (db, "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', end_time, 'unixepoch')"
                         " FROM calls");
  g_assert_cmpstr (start, ==, "2025-01-01T12:00:00Z");
  g_assert_cmpstr (end, ==, "2025-01-01T12:01:05Z");
  sqlite3_close (db);
}

/* A history an older version or a hand-made copy left readable by others
 * is made private again when it is opened. */
static void
test_store_private_again (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autofree char *dir = g_build_filename (f->dir, "loose", NULL);
  g_autofree char *path = g_build_filename (dir, "calls.db", NULL);

  store = kc_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (upsert_one (store, make_record ("c1", "+998901234567", "1001", T0, 65,
                                                   KC_CALL_STATUS_ANSWERED)),
                   ==, 1);
  g_clear_object (&store);
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);

  store = kc_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmphex (file_mode (dir), ==, 0700);
  g_assert_cmphex (file_mode (path), ==, 0600);
  g_assert_cmpint (kc_store_count (store), ==, 1);
}

/* A history kept by hand in a shared folder such as /tmp makes its files
 * private, never the folder: others' files live there too. */
static void
test_store_shared_folder_left_alone (Fixture       *f,
                                     gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autofree char *dir = g_build_filename (f->dir, "shared", NULL);
  g_autofree char *path = g_build_filename (dir, "calls.db", NULL);

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_assert_cmpint (g_chmod (dir, 01777), ==, 0);
  store = kc_store_open (path, &error);
  g_assert_no_error (error);
  g_clear_object (&store);
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);

  store = kc_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmphex (file_mode (dir), ==, 0777);
  g_assert_cmphex (file_mode (path), ==, 0600);
}

static void
test_store_upsert (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr (GPtrArray) batch = records_new ();
  g_autoptr (KcRecord) stored = NULL;
  g_autoptr (KcRecord) updated = NULL;
  g_autoptr (GError) error = NULL;
  KcRecord *voicemail;
  guint n_linked;

  g_ptr_array_add (batch, make_record ("c1", "+998901234567", "1001", T0, 65,
                                       KC_CALL_STATUS_ANSWERED));
  g_ptr_array_add (batch, make_record ("c2", "1001", "+998935551122", T0 + 120, 30,
                                       KC_CALL_STATUS_BUSY));
  voicemail = make_record ("c3", "+998977770000", "1002", T0 + 300, 20, KC_CALL_STATUS_MISSED);
  voicemail->kerio_status = 6;
  voicemail->voicemail = TRUE;
  g_ptr_array_add (batch, voicemail);

  g_assert_cmpuint (upsert (f->store, batch), ==, 3);
  g_assert_cmpint (kc_store_count (f->store), ==, 3);
  g_assert_cmpuint (f->n_changed, ==, 1);

  stored = lookup (f->store, "c1");
  g_assert_nonnull (stored);
  g_assert_nonnull (stored->id);
  g_assert_cmpstr (stored->id, !=, "");
  g_assert_cmpint (stored->direction, ==, KC_DIRECTION_INCOMING);
  g_assert_cmpstr (stored->from_number, ==, "+998901234567");
  g_assert_cmpstr (stored->to_number, ==, "1001");
  g_assert_cmpstr (stored->extension, ==, "1001");
  g_assert_cmpint (stored->start_time, ==, T0);
  g_assert_cmpint (stored->end_time, ==, T0 + 65);
  g_assert_cmpint (stored->duration, ==, 65);
  g_assert_cmpint (stored->answered, ==, 32);
  g_assert_cmpint (stored->status, ==, KC_CALL_STATUS_ANSWERED);
  g_assert_true (stored->from_cdr);
  g_assert_null (stored->recording_id);
  g_assert_null (lookup (f->store, "c4"));

  /* The same page read again by the next sync adds nothing and redraws nothing. */
  g_assert_cmpuint (upsert (f->store, batch), ==, 0);
  g_assert_cmpint (kc_store_count (f->store), ==, 3);
  g_assert_cmpuint (f->n_changed, ==, 1);

  {
    g_autoptr (KcRecord) vm = lookup (f->store, "c3");

    g_assert_true (vm->voicemail);
    g_assert_cmpint (vm->kerio_status, ==, 6);
    g_assert_cmpint (vm->status, ==, KC_CALL_STATUS_MISSED);
  }

  /* A link made earlier survives the PBX correcting the record. */
  {
    g_autoptr (GPtrArray) recordings = g_ptr_array_new_with_free_func (
        (GDestroyNotify) kc_recording_free);
    KcRecording *rec = g_new0 (KcRecording, 1);

    rec->id = g_strdup ("rec-c1");
    rec->extension = g_strdup ("1001");
    rec->caller_id = g_strdup ("+998901234567");
    rec->started = T0 + 10;
    rec->duration = 50;
    g_ptr_array_add (recordings, rec);
    g_assert_true (kc_store_link_recordings (f->store, recordings, &n_linked, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (n_linked, ==, 1);
  }
  g_assert_cmpuint (f->n_changed, ==, 2);

  {
    KcRecord *c1 = g_ptr_array_index (batch, 0);

    c1->duration = 90;
    c1->end_time = T0 + 90;
    c1->answered = 70;
  }
  g_assert_cmpuint (upsert (f->store, batch), ==, 0);
  g_assert_cmpint (kc_store_count (f->store), ==, 3);
  g_assert_cmpuint (f->n_changed, ==, 3);
  updated = lookup (f->store, "c1");
  g_assert_cmpstr (updated->id, ==, stored->id);
  g_assert_cmpint (updated->duration, ==, 90);
  g_assert_cmpint (updated->end_time, ==, T0 + 90);
  g_assert_cmpint (updated->answered, ==, 70);
  g_assert_cmpstr (updated->recording_id, ==, "rec-c1");
}

/* The PBX id is authoritative: two CDRs that look alike are two calls. */
static void
test_store_same_numbers_other_id (Fixture       *f,
                                  gconstpointer  data)
{
  g_assert_cmpuint (upsert_one (f->store, make_record ("a", "+998901234567", "1001", T0, 10,
                                                       KC_CALL_STATUS_MISSED)),
                    ==, 1);
  g_assert_cmpuint (upsert_one (f->store, make_record ("b", "+998901234567", "1001", T0, 10,
                                                       KC_CALL_STATUS_MISSED)),
                    ==, 1);
  g_assert_cmpint (kc_store_count (f->store), ==, 2);
}

/* A call written from the live view is on screen at once; when its CDR
 * arrives it must become that row, not a second one. */
static void
test_store_live_replaced_by_cdr (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr (KcRecord) live = NULL;
  g_autoptr (KcRecord) cdr = NULL;
  g_autoptr (KcRecord) far = NULL;
  g_autoptr (KcRecord) nearest = NULL;
  g_autofree char *live_row_id = NULL;

  add_live (f->store, make_record ("live-1", "+998901234567", "1001", T0, 40,
                                   KC_CALL_STATUS_ANSWERED));
  g_assert_cmpint (kc_store_count (f->store), ==, 1);
  g_assert_cmpuint (f->n_changed, ==, 1);
  live = lookup (f->store, "live-1");
  g_assert_false (live->from_cdr);
  live_row_id = g_strdup (live->id);
  /* The sync starts from the newest CDR; a live row says nothing about that. */
  g_assert_cmpint (kc_store_get_latest_cdr_time (f->store), ==, -1);

  g_assert_cmpuint (upsert_one (f->store,
                                make_record ("cdr-1", "+998901234567", "1001",
                                             T0 + KC_STORE_LIVE_MATCH_SLACK, 42,
                                             KC_CALL_STATUS_ANSWERED)),
                    ==, 0);
  g_assert_cmpint (kc_store_count (f->store), ==, 1);
  g_assert_cmpuint (f->n_changed, ==, 2);
  g_assert_null (lookup (f->store, "live-1"));
  cdr = lookup (f->store, "cdr-1");
  g_assert_nonnull (cdr);
  g_assert_true (cdr->from_cdr);
  g_assert_cmpstr (cdr->id, ==, live_row_id);
  g_assert_cmpint (cdr->duration, ==, 42);
  g_assert_cmpint (kc_store_get_latest_cdr_time (f->store), ==, T0 + KC_STORE_LIVE_MATCH_SLACK);

  /* Two live rows within the slack: the CDR takes the one that started with it. */
  add_live (f->store, make_record ("live-3", "+998905555555", "1002", T0, 10,
                                   KC_CALL_STATUS_MISSED));
  add_live (f->store, make_record ("live-4", "+998905555555", "1002", T0 + 3, 10,
                                   KC_CALL_STATUS_MISSED));
  upsert_one (f->store, make_record ("cdr-4", "+998905555555", "1002", T0 + 3, 10,
                                     KC_CALL_STATUS_MISSED));
  g_assert_null (lookup (f->store, "live-4"));
  nearest = lookup (f->store, "live-3");
  g_assert_nonnull (nearest);
  g_assert_cmpint (kc_store_count (f->store), ==, 3);

  /* Further apart than the slack: another call between the same numbers. */
  add_live (f->store, make_record ("live-2", "+998901234567", "1001", T0 + 600, 40,
                                   KC_CALL_STATUS_ANSWERED));
  g_assert_cmpuint (upsert_one (f->store,
                                make_record ("cdr-2", "+998901234567", "1001",
                                             T0 + 600 + KC_STORE_LIVE_MATCH_SLACK + 1, 40,
                                             KC_CALL_STATUS_ANSWERED)),
                    ==, 1);
  g_assert_cmpint (kc_store_count (f->store), ==, 5);
  far = lookup (f->store, "live-2");
  g_assert_nonnull (far);
  g_assert_false (far->from_cdr);
}

/* A live "missed" row the PBX's CDR overruled: rewritten as answered, or
 * taken away when another extension answered; rows from CDRs never touched */
static void
test_store_live_corrected (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr (KcRecord) answered = NULL;
  g_autoptr (KcRecord) row = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) found = NULL;
  guint changes;

  add_live (f->store, make_record ("live-m", "+998901234567", "1001", T0, 20,
                                   KC_CALL_STATUS_MISSED));
  add_live (f->store, make_record ("live-g", "+998935556677", "1001", T0 + 60, 15,
                                   KC_CALL_STATUS_MISSED));
  upsert_one (f->store, make_record ("cdr-x", "+998977777777", "1001", T0 + 120, 30,
                                     KC_CALL_STATUS_MISSED));
  g_assert_cmpint (kc_store_count (f->store), ==, 3);
  changes = f->n_changed;

  /* Answered here after all, with the answering extension's number */
  answered = make_record ("live-m", "+998901234567", "1002", T0, 20, KC_CALL_STATUS_ANSWERED);
  g_assert_true (kc_store_correct_live_record (f->store, "live-m", answered, &error));
  g_assert_no_error (error);
  row = lookup (f->store, "live-m");
  g_assert_cmpint (row->status, ==, KC_CALL_STATUS_ANSWERED);
  g_assert_cmpstr (row->to_number, ==, "1002");
  g_assert_false (row->from_cdr);
  g_assert_cmpuint (f->n_changed, ==, changes + 1);
  /* The number search finds it by its new number, not its old one */
  found = kc_store_query (f->store, G_MAXINT64, NULL, "1002", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);

  /* Another extension's call: gone from this operator's history */
  g_assert_true (kc_store_correct_live_record (f->store, "live-g", NULL, &error));
  g_assert_null (lookup (f->store, "live-g"));
  g_assert_cmpint (kc_store_count (f->store), ==, 2);
  g_assert_cmpuint (f->n_changed, ==, changes + 2);

  /* A CDR row, or a call never written, is left alone */
  g_assert_true (kc_store_correct_live_record (f->store, "cdr-x", NULL, &error));
  g_assert_true (kc_store_correct_live_record (f->store, "nothing", NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&row, kc_record_free);
  row = lookup (f->store, "cdr-x");
  g_assert_nonnull (row);
  g_assert_cmpint (kc_store_count (f->store), ==, 2);
  g_assert_cmpuint (f->n_changed, ==, changes + 2);
}

static void
test_store_live_after_cdr (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr (KcRecord) cdr = NULL;

  g_assert_cmpuint (upsert_one (f->store, make_record ("cdr-1", "1001", "+998935551122", T0, 30,
                                                       KC_CALL_STATUS_ANSWERED)),
                    ==, 1);
  g_assert_cmpuint (f->n_changed, ==, 1);

  add_live (f->store, make_record ("live-1", "1001", "+998935551122", T0 - 2, 31,
                                   KC_CALL_STATUS_ANSWERED));
  g_assert_cmpint (kc_store_count (f->store), ==, 1);
  g_assert_null (lookup (f->store, "live-1"));
  cdr = lookup (f->store, "cdr-1");
  g_assert_cmpint (cdr->duration, ==, 30);

  /* The tracker may report a finished call twice. */
  add_live (f->store, make_record ("live-2", "1002", "+998935551122", T0, 5,
                                   KC_CALL_STATUS_MISSED));
  add_live (f->store, make_record ("live-2", "1002", "+998935551122", T0, 5,
                                   KC_CALL_STATUS_MISSED));
  g_assert_cmpint (kc_store_count (f->store), ==, 2);
  g_assert_cmpuint (f->n_changed, ==, 2);
}

static KcRecording *
make_recording (const char *id,
                const char *extension,
                const char *caller_id,
                gint64      started)
{
  KcRecording *rec = g_new0 (KcRecording, 1);

  rec->id = g_strdup (id);
  rec->extension = g_strdup (extension);
  rec->caller_id = g_strdup (caller_id);
  rec->started = started;
  rec->duration = 30;
  return rec;
}

static char *
recording_of (KcStore    *store,
              const char *call_id)
{
  g_autoptr (KcRecord) record = lookup (store, call_id);

  g_assert_nonnull (record);
  return g_strdup (record->recording_id);
}

static void
test_store_link_recordings (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr (GPtrArray) batch = records_new ();
  g_autoptr (GPtrArray) recordings = g_ptr_array_new_with_free_func (
      (GDestroyNotify) kc_recording_free);
  g_autoptr (GError) error = NULL;
  KcRecord *no_end;
  guint n_linked = G_MAXUINT;
  struct
  {
    const char *call_id;
    const char *recording_id;
  } expected[] = {
    { "in", "rec-in" },
    { "again", "rec-again" },
    { "other", "rec-other" },
    { "out", "rec-out" },
    { "later", NULL },
    { "no-end", "rec-no-end" },
    { "long", "rec-long" },
  };

  g_ptr_array_add (batch, make_record ("in", "+998901111111", "1001", T0, 60,
                                       KC_CALL_STATUS_ANSWERED));
  /* Overlaps "in" in time, between other numbers */
  g_ptr_array_add (batch, make_record ("other", "+998902222222", "1002", T0 + 2, 60,
                                       KC_CALL_STATUS_ANSWERED));
  /* The customer called again before "in" was over (a second line): a
   * recording that started during both belongs to the one it started with. */
  g_ptr_array_add (batch, make_record ("again", "+998901111111", "1001", T0 + 50, 30,
                                       KC_CALL_STATUS_ANSWERED));
  /* Same two numbers as "in", the other way round */
  g_ptr_array_add (batch, make_record ("out", "1001", "+998901111111", T0 + 600, 30,
                                       KC_CALL_STATUS_ANSWERED));
  g_ptr_array_add (batch, make_record ("later", "+998901111111", "1001", T0 + 3600, 20,
                                       KC_CALL_STATUS_ANSWERED));
  /* A row without end_time spans start + duration. */
  no_end = make_record ("no-end", "+998903333333", "1003", T0, 100, KC_CALL_STATUS_ANSWERED);
  no_end->end_time = -1;
  g_ptr_array_add (batch, no_end);
  /* A three-hour call, recorded from its third hour on */
  g_ptr_array_add (batch, make_record ("long", "+998904444444", "1004", T0 - 7200, 10800,
                                       KC_CALL_STATUS_ANSWERED));
  g_assert_cmpuint (upsert (f->store, batch), ==, 7);
  g_assert_cmpuint (f->n_changed, ==, 1);

  g_ptr_array_add (recordings, make_recording ("rec-other", "1002", "+998902222222", T0 + 5));
  g_ptr_array_add (recordings, make_recording ("rec-in", "1001", "+998901111111", T0 + 5));
  g_ptr_array_add (recordings, make_recording ("rec-again", "1001", "+998901111111", T0 + 52));
  g_ptr_array_add (recordings, make_recording ("rec-out", "1001", "+998901111111", T0 + 601));
  g_ptr_array_add (recordings, make_recording ("rec-no-end", "1003", "+998903333333", T0 + 90));
  /* Between "out" and "later": belongs to neither */
  g_ptr_array_add (recordings, make_recording ("rec-gap", "1001", "+998901111111", T0 + 2000));
  g_ptr_array_add (recordings, make_recording ("rec-none", "1009", "+998909999999", T0 + 5));
  g_ptr_array_add (recordings, make_recording ("rec-long", "1004", "+998904444444", T0 + 1000));
  /* No start: nothing to match it by */
  g_ptr_array_add (recordings, make_recording ("rec-undated", "1004", "+998904444444", -1));

  g_assert_true (kc_store_link_recordings (f->store, recordings, &n_linked, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_linked, ==, 6);
  g_assert_cmpuint (f->n_changed, ==, 2);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *recording_id = recording_of (f->store, expected[i].call_id);

      g_assert_cmpstr (recording_id, ==, expected[i].recording_id);
    }

  /* Linking again (every sync does) changes nothing. */
  g_assert_true (kc_store_link_recordings (f->store, recordings, &n_linked, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_linked, ==, 0);
  g_assert_cmpuint (f->n_changed, ==, 2);
}

static void
test_store_recording_path (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcRecord) record = NULL;

  upsert_one (f->store, make_record ("c1", "+998901234567", "1001", T0, 65,
                                     KC_CALL_STATUS_ANSWERED));
  g_assert_true (kc_store_set_recording_path (f->store, "c1", "/tmp/rec 'c1'.wav", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->n_changed, ==, 2);
  record = lookup (f->store, "c1");
  g_assert_cmpstr (record->recording_path, ==, "/tmp/rec 'c1'.wav");

  g_assert_true (kc_store_set_recording_path (f->store, "c1", "/tmp/rec 'c1'.wav", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->n_changed, ==, 2);

  g_assert_false (kc_store_set_recording_path (f->store, "nope", "/tmp/x.wav", &error));
  g_assert_error (error, KC_STORE_ERROR, KC_STORE_ERROR_FAILED);
}

static void
assert_newest_first (KcRecord *newer,
                     KcRecord *older)
{
  g_assert_true (newer->start_time > older->start_time ||
                 (newer->start_time == older->start_time && strcmp (newer->id, older->id) > 0));
}

/* Pages through the history the way the view scrolls; every row must show up
 * exactly once, newest first. Returns the call_ids seen, in order. */
static GPtrArray *
read_all_pages (KcStore    *store,
                const char *number,
                guint       page_size)
{
  GPtrArray *seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (KcRecord) last = NULL;

  while (TRUE)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) page = kc_store_query (store, last ? last->start_time : 0,
                                                   last ? last->id : NULL, number, page_size,
                                                   &error);

      g_assert_no_error (error);
      g_assert_cmpuint (page->len, <=, page_size);
      if (page->len == 0)
        break;
      for (guint i = 0; i < page->len; i++)
        {
          KcRecord *record = g_ptr_array_index (page, i);

          if (last)
            assert_newest_first (last, record);
          g_ptr_array_add (seen, g_strdup (record->call_id));
          g_clear_pointer (&last, kc_record_free);
          last = g_ptr_array_steal_index (page, i--);
        }
    }
  return seen;
}

static void
test_store_query_pages (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr (GPtrArray) batch = records_new ();
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GHashTable) unique = g_hash_table_new (g_str_hash, g_str_equal);
  const guint n = 25;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *call_id = g_strdup_printf ("c%02u", i);
      g_autofree char *from = g_strdup_printf ("+99890%07u", i % 3 == 0 ? 1112233 : 4445566 + i);

      /* four calls share each start second: paging must not drop or repeat them */
      g_ptr_array_add (batch, make_record (call_id, from, "1001", T0 + (i / 4) * 60, 10,
                                           KC_CALL_STATUS_ANSWERED));
    }
  g_assert_cmpuint (upsert (f->store, batch), ==, n);

  all = read_all_pages (f->store, NULL, 7);
  g_assert_cmpuint (all->len, ==, n);
  for (guint i = 0; i < all->len; i++)
    g_assert_true (g_hash_table_add (unique, g_ptr_array_index (all, i)));
  g_assert_cmpstr (g_ptr_array_index (all, 0), ==, "c24");

  found = read_all_pages (f->store, "90111", 2);
  g_assert_cmpuint (found->len, ==, (n + 2) / 3);
  for (guint i = 0; i < found->len; i++)
    {
      g_autoptr (KcRecord) record = lookup (f->store, g_ptr_array_index (found, i));

      g_assert_nonnull (strstr (record->from_number, "90111"));
    }

  /* the search box's text is a literal, not a pattern */
  g_clear_pointer (&found, g_ptr_array_unref);
  found = read_all_pages (f->store, "%", 10);
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = read_all_pages (f->store, "1001", 10);
  g_assert_cmpuint (found->len, ==, n);
}

static void
test_store_values_verbatim (Fixture       *f,
                            gconstpointer  data)
{
  const char *evil_from = "+998'); DROP TABLE calls; --";
  const char *evil_id = "id\"with'quotes%_";
  g_autoptr (KcRecord) stored = NULL;
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (upsert_one (f->store, make_record (evil_id, evil_from, "1001", T0, 5,
                                                       KC_CALL_STATUS_MISSED)),
                    ==, 1);
  g_assert_cmpuint (upsert_one (f->store, make_record ("plain", "+998901234567", "1001", T0, 5,
                                                       KC_CALL_STATUS_MISSED)),
                    ==, 1);
  g_assert_cmpint (kc_store_count (f->store), ==, 2);
  stored = lookup (f->store, evil_id);
  g_assert_nonnull (stored);
  g_assert_cmpstr (stored->from_number, ==, evil_from);

  found = kc_store_query (f->store, 0, NULL, "'); DROP", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((KcRecord *) g_ptr_array_index (found, 0))->call_id, ==, evil_id);
}

/* A batch is all or nothing: a sync that fails half-way leaves the history as
 * it was, and the next sync starts from the same place. */
static void
test_store_batch_rollback (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr (GPtrArray) batch = records_new ();
  g_autoptr (KcRecord) existing = NULL;
  g_autoptr (GError) error = NULL;
  KcRecord *changed;
  KcRecord *broken;
  guint n_new = 42;

  g_assert_cmpuint (upsert_one (f->store, make_record ("old", "+998901234567", "1001", T0, 10,
                                                       KC_CALL_STATUS_MISSED)),
                    ==, 1);
  g_assert_cmpuint (f->n_changed, ==, 1);

  changed = make_record ("old", "+998901234567", "1001", T0, 10, KC_CALL_STATUS_BUSY);
  g_ptr_array_add (batch, changed);
  g_ptr_array_add (batch, make_record ("new-1", "+998901111111", "1001", T0 + 100, 10,
                                       KC_CALL_STATUS_ANSWERED));
  broken = make_record (NULL, "+998902222222", "1001", T0 + 200, 10, KC_CALL_STATUS_ANSWERED);
  g_ptr_array_add (batch, broken);
  g_ptr_array_add (batch, make_record ("new-2", "+998903333333", "1001", T0 + 300, 10,
                                       KC_CALL_STATUS_ANSWERED));

  g_assert_false (kc_store_upsert_records (f->store, batch, &n_new, &error));
  g_assert_error (error, KC_STORE_ERROR, KC_STORE_ERROR_FAILED);
  g_assert_cmpuint (n_new, ==, 42);
  g_assert_cmpuint (f->n_changed, ==, 1);
  g_assert_cmpint (kc_store_count (f->store), ==, 1);
  g_assert_null (lookup (f->store, "new-1"));
  existing = lookup (f->store, "old");
  g_assert_cmpint (existing->status, ==, KC_CALL_STATUS_MISSED);
  g_assert_cmpint (kc_store_get_latest_cdr_time (f->store), ==, T0);

  /* The store is usable after the failure. */
  g_ptr_array_remove (batch, broken);
  g_assert_cmpuint (upsert (f->store, batch), ==, 2);
  g_assert_cmpint (kc_store_count (f->store), ==, 3);
}

/* A reporting tool that opens calls.db finds the design's Call model: its
 * field names, its words, ISO 8601 UTC times, a UUID-shaped id that stays
 * with the row when its CDR takes it over; and it cannot write through it. */
static void
test_store_design_view (Fixture       *f,
                        gconstpointer  data)
{
  static const char *const fields[] = {
    "id", "callId", "direction", "fromNumber", "toNumber", "extension", "startTime", "endTime",
    "duration", "status", "recordingPath", "createdAt", "updatedAt",
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *id_before = NULL;
  g_autofree char *id_after = NULL;
  g_autofree char *value = NULL;
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db;

  add_live (f->store, make_record ("live-1", "+998901234567", "1001", T0, 65,
                                   KC_CALL_STATUS_MISSED));
  g_assert_true (kc_store_set_recording_path (f->store, "live-1", "/tmp/r.wav", &error));
  db = sqlite_open (f->path);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT * FROM call", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_column_count (stmt), ==, G_N_ELEMENTS (fields));
  for (int i = 0; i < (int) G_N_ELEMENTS (fields); i++)
    g_assert_cmpstr (sqlite3_column_name (stmt, i), ==, fields[i]);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  id_before = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  g_assert_true (g_regex_match_simple ("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-"
                                       "[0-9a-f]{12}$", id_before, 0, 0));
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), ==, "live-1");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 2), ==, "kiruvchi");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 3), ==, "+998901234567");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 4), ==, "1001");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 5), ==, "1001");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 6), ==, "2025-01-01T12:00:00Z");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 7), ==, "2025-01-01T12:01:05Z");
  g_assert_cmpint (sqlite3_column_int64 (stmt, 8), ==, 65);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 9), ==, "javobsiz");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 10), ==, "/tmp/r.wav");
  g_assert_true (g_str_has_suffix ((const char *) sqlite3_column_text (stmt, 11), "Z"));
  g_assert_true (g_str_has_suffix ((const char *) sqlite3_column_text (stmt, 12), "Z"));
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);

  /* The CDR takes the row over: a new callId, the same id */
  upsert_one (f->store, make_record ("cdr-1", "+998901234567", "1001", T0 + 1, 64,
                                     KC_CALL_STATUS_ANSWERED));
  value = sqlite_text (db, "SELECT callId || ' ' || status FROM call");
  g_assert_cmpstr (value, ==, "cdr-1 javob berildi");
  id_after = sqlite_text (db, "SELECT id FROM call");
  g_assert_cmpstr (id_after, ==, id_before);

  g_assert_cmpint (sqlite3_exec (db, "UPDATE call SET status = 'band'", NULL, NULL, NULL), ==,
                   SQLITE_ERROR);
  sqlite3_close (db);
}

static void
test_store_reopen (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcRecord) record = NULL;

  g_assert_cmpint (kc_store_get_latest_cdr_time (f->store), ==, -1);
  upsert_one (f->store, make_record ("c1", "+998901234567", "1001", T0, 65,
                                     KC_CALL_STATUS_ANSWERED));
  upsert_one (f->store, make_record ("c2", "+998901234567", "1001", T0 - 600, 65,
                                     KC_CALL_STATUS_ANSWERED));
  g_clear_object (&f->store);

  f->store = kc_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kc_store_count (f->store), ==, 2);
  g_assert_cmpint (kc_store_get_latest_cdr_time (f->store), ==, T0);
  record = lookup (f->store, "c1");
  g_assert_cmpint (record->duration, ==, 65);
}

/* Whatever the file is, if it is not ours the caller moves it aside; the
 * store must not have altered it. */
static void
assert_refused_untouched (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gsize before_len, after_len;

  read_file (path, &before, &before_len);
  store = kc_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, KC_STORE_ERROR, KC_STORE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, path));

  read_file (path, &after, &after_len);
  g_assert_cmpmem (before, before_len, after, after_len);
}

static void
test_store_foreign_sqlite (void)
{
  g_autofree char *dir = kc_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "calls.db", NULL);
  sqlite3 *db = sqlite_open (path);

  sqlite_exec (db, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
                   "INSERT INTO notes (body) VALUES ('keep me');");
  sqlite3_close (db);

  assert_refused_untouched (path);

  db = sqlite_open (path);
  g_assert_cmpint (sqlite_int (db, "SELECT count(*) FROM notes"), ==, 1);
  g_assert_cmpint (sqlite_int (db, "SELECT count(*) FROM sqlite_master WHERE name = 'calls'"),
                   ==, 0);
  sqlite3_close (db);
  kc_test_rm_rf (dir);
}

static void
test_store_not_sqlite (void)
{
  g_autofree char *dir = kc_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "calls.db", NULL);
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < 100; i++)
    g_string_append (text, "This is a text file, not a database.\n");
  g_file_set_contents (path, text->str, text->len, &error);
  g_assert_no_error (error);

  assert_refused_untouched (path);
  kc_test_rm_rf (dir);
}

/* A history written by a later release is not ours to rewrite. */
static void
test_store_newer_schema (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcStore) store = NULL;
  sqlite3 *db;

  upsert_one (f->store, make_record ("c1", "+998901234567", "1001", T0, 65,
                                     KC_CALL_STATUS_ANSWERED));
  g_clear_object (&f->store);
  db = sqlite_open (f->path);
  sqlite_exec (db, "PRAGMA user_version = 99");
  sqlite3_close (db);

  store = kc_store_open (f->path, &error);
  g_assert_null (store);
  g_assert_error (error, KC_STORE_ERROR, KC_STORE_ERROR_FAILED);

  db = sqlite_open (f->path);
  g_assert_cmpint (sqlite_int (db, "PRAGMA user_version"), ==, 99);
  g_assert_cmpint (sqlite_int (db, "SELECT count(*) FROM calls"), ==, 1);
  sqlite3_close (db);
}

/* Schema version 1 as the first release wrote it, and its rows */
static const char v1_schema[] =
  "CREATE TABLE calls ("
  "  id TEXT PRIMARY KEY,"
  "  call_id TEXT NOT NULL UNIQUE,"
  "  direction TEXT NOT NULL CHECK (direction IN ('kiruvchi', 'chiquvchi')),"
  "  from_number TEXT NOT NULL,"
  "  to_number TEXT NOT NULL,"
  "  extension TEXT,"
  "  start_time TEXT NOT NULL,"
  "  end_time TEXT,"
  "  duration INTEGER NOT NULL DEFAULT 0,"
  "  answered_duration INTEGER NOT NULL DEFAULT 0,"
  "  status TEXT NOT NULL"
  "    CHECK (status IN ('javob berildi', 'javobsiz', 'band', 'xatolik')),"
  "  kerio_status INTEGER,"
  "  voicemail INTEGER NOT NULL DEFAULT 0,"
  "  recording_id TEXT,"
  "  recording_path TEXT,"
  "  source TEXT NOT NULL CHECK (source IN ('cdr', 'live')),"
  "  created_at TEXT NOT NULL,"
  "  updated_at TEXT NOT NULL"
  ");"
  "CREATE INDEX calls_start ON calls (start_time DESC, id DESC);"
  "CREATE INDEX calls_from_to_start ON calls (from_number, to_number, start_time);"
  "CREATE INDEX calls_to ON calls (to_number);"
  "CREATE INDEX calls_status_start ON calls (status, start_time);"
  "CREATE INDEX calls_source_start ON calls (source, start_time);"
  "INSERT INTO calls VALUES ('9b1c0a52-7d2e-4f7c-9a11-1f0e6a1d2c01', 'old-1', 'kiruvchi',"
  "  '+998901234567', '1001', '1001', '2025-01-01T12:00:00Z', '2025-01-01T12:01:05Z', 65, 40,"
  "  'javob berildi', 3, 0, 'rec-9', '/tmp/rec-9.wav', 'cdr', '2025-01-01T13:00:00Z',"
  "  '2025-01-01T13:00:00Z');"
  "INSERT INTO calls VALUES ('0a2d9e11-5c4b-4a3e-8f22-6b7c8d9e0f12', 'old-2', 'chiquvchi',"
  "  '1002', '+998935551122', '1002', '2025-01-01T12:10:00Z', NULL, 20, 0,"
  "  'band', 4, 0, NULL, NULL, 'cdr', '2025-01-01T13:00:00Z', '2025-01-01T13:00:00Z');"
  "INSERT INTO calls VALUES ('5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9', 'live-3', 'kiruvchi',"
  "  '+998977770000', '1001', '1001', '2025-01-01T12:20:00Z', '2025-01-01T12:20:30Z', 30, 25,"
  "  'javob berildi', NULL, 0, NULL, NULL, 'live', '2025-01-01T12:21:00Z',"
  "  '2025-01-01T12:21:00Z');"
  "PRAGMA application_id = 1262703689;"
  "PRAGMA user_version = 1;";

static GPtrArray *
search (KcStore    *store,
        const char *number)
{
  g_autoptr (GError) error = NULL;
  KcHistoryFilter filter = { (char *) number, -1, -1, -1, -1 };
  GPtrArray *found = kc_store_query_history (store, &filter, 0, NULL, FALSE, 0, 100, &error);

  g_assert_no_error (error);
  return found;
}

/* A row as the store inserts it */
static const char insert_row[] =
  "INSERT INTO calls (call_id, direction, from_number, to_number, start_time, status, source,"
  " created_at, updated_at) VALUES ('x', 'kiruvchi', '1', '2', 0, 'band', 'cdr', 0, 0)";

/* Whether the compiled statement builds a temporary B-tree as it runs */
static gboolean
builds_temporary_btree (sqlite3    *db,
                        const char *sql)
{
  g_autofree char *explain = g_strconcat ("EXPLAIN ", sql, NULL);
  sqlite3_stmt *stmt = NULL;
  gboolean found = FALSE;

  g_assert_cmpint (sqlite3_prepare_v2 (db, explain, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    found |= g_strcmp0 ((const char *) sqlite3_column_text (stmt, 1), "OpenEphemeral") == 0;
  sqlite3_finalize (stmt);
  return found;
}

/* An update keeps the user's history: a v1 file is rewritten in place into
 * v2 with every row, time, link and downloaded recording, and the number
 * search and the next sync's starting point work on what it held. */
static void
test_store_migrate_v1 (void)
{
  g_autofree char *dir = kc_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "calls.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autoptr (KcRecord) first = NULL;
  g_autoptr (KcRecord) second = NULL;
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GPtrArray) all = NULL;
  gint64 count = -1;
  sqlite3 *db;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, v1_schema, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = kc_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kc_store_count (store), ==, 3);

  first = lookup (store, "old-1");
  g_assert_nonnull (first);
  g_assert_cmpint (first->start_time, ==, T0);
  g_assert_cmpint (first->end_time, ==, T0 + 65);
  g_assert_cmpint (first->answered, ==, 40);
  g_assert_cmpint (first->status, ==, KC_CALL_STATUS_ANSWERED);
  g_assert_cmpint (first->direction, ==, KC_DIRECTION_INCOMING);
  g_assert_cmpstr (first->recording_id, ==, "rec-9");
  g_assert_cmpstr (first->recording_path, ==, "/tmp/rec-9.wav");
  g_assert_cmpint (first->created_at, ==, T0 + 3600);
  g_assert_true (first->from_cdr);
  second = lookup (store, "old-2");
  g_assert_cmpint (second->status, ==, KC_CALL_STATUS_BUSY);
  /* no end written: start + duration */
  g_assert_cmpint (second->end_time, ==, T0 + 600 + 20);

  /* newest first, as before */
  all = kc_store_query_history (store, NULL, 0, NULL, FALSE, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3);
  g_assert_cmpstr (((KcRecord *) all->pdata[0])->call_id, ==, "live-3");
  g_assert_cmpstr (((KcRecord *) all->pdata[2])->call_id, ==, "old-1");

  /* the migrated rows are in the number index */
  found = search (store, "555112");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((KcRecord *) found->pdata[0])->call_id, ==, "old-2");
  {
    KcHistoryFilter filter = { "1001", -1, -1, -1, -1 };

    g_assert_true (kc_store_count_history (store, &filter, 0, NULL, &count, &error));
    g_assert_no_error (error);
    g_assert_cmpint (count, ==, 2);
  }

  /* v1 synced in one transaction: its newest CDR is complete history; the
   * live row is not a CDR. */
  g_assert_cmpint (kc_store_get_complete_until (store), ==, T0 + 600);

  /* the live row still gives way to its CDR */
  g_assert_cmpuint (upsert_one (store, make_record ("cdr-3", "+998977770000", "1001", T0 + 1201,
                                                    30, KC_CALL_STATUS_ANSWERED)),
                    ==, 0);
  g_assert_cmpint (kc_store_count (store), ==, 3);
  g_assert_null (lookup (store, "live-3"));

  g_clear_object (&store);
  db = sqlite_open (path);
  g_assert_cmpint (sqlite_int (db, "PRAGMA user_version"), ==, latest_version ());
  g_assert_cmpint (sqlite_int (db, "SELECT count(*) FROM call"), ==, 3);
  g_assert_cmpint (sqlite_int (db, "SELECT count(*) FROM calls"), ==, 3);
  g_assert_false (builds_temporary_btree (db, insert_row));
  {
    g_autofree char *check = sqlite_text (db, "PRAGMA integrity_check");

    g_assert_cmpstr (check, ==, "ok");
  }
  g_assert_cmpint (sqlite_int (db, "INSERT INTO calls_numbers (calls_numbers, rank)"
                                   " VALUES ('integrity-check', 1) RETURNING 1"),
                   ==, 1);
  sqlite3_close (db);
  kc_test_rm_rf (dir);
}

/* The search box finds a number by any part of it: long parts through the
 * trigram index, short ones by reading the history, quotes and pluses as
 * they are, and a number the PBX corrected only under its new digits. */
/* Schema version 2 as the second release wrote it, and its rows: old-2 was
 * corrected by the PBX after it was first stored (the index has its new
 * numbers), live-3 is a live call still waiting for its CDR. */
static const char v2_schema[] =
  "CREATE TABLE calls ("
  "  id INTEGER PRIMARY KEY,"
  "  call_id TEXT NOT NULL UNIQUE,"
  "  direction TEXT NOT NULL CHECK (direction IN ('kiruvchi', 'chiquvchi')),"
  "  from_number TEXT NOT NULL,"
  "  to_number TEXT NOT NULL,"
  "  extension TEXT,"
  "  start_time INTEGER NOT NULL,"
  "  end_time INTEGER,"
  "  duration INTEGER NOT NULL DEFAULT 0,"
  "  answered_duration INTEGER NOT NULL DEFAULT 0,"
  "  status TEXT NOT NULL"
  "    CHECK (status IN ('javob berildi', 'javobsiz', 'band', 'xatolik')),"
  "  kerio_status INTEGER,"
  "  voicemail INTEGER NOT NULL DEFAULT 0,"
  "  recording_id TEXT,"
  "  recording_path TEXT,"
  "  source TEXT NOT NULL CHECK (source IN ('cdr', 'live')),"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX calls_start ON calls (start_time, id);"
  "CREATE INDEX calls_direction_start ON calls (direction, start_time, id);"
  "CREATE INDEX calls_status_start ON calls (status, start_time, id);"
  "CREATE INDEX calls_live_start ON calls (start_time) WHERE source = 'live';"
  "CREATE VIRTUAL TABLE calls_numbers USING fts5 ("
  "  from_number, to_number, content = 'calls', content_rowid = 'id', tokenize = 'trigram');"
  "INSERT INTO calls_numbers (calls_numbers, rank) VALUES ('automerge', 16);"
  "INSERT INTO calls_numbers (calls_numbers, rank) VALUES ('crisismerge', 64);"
  "CREATE TABLE sync_state ("
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
  "  complete_until INTEGER NOT NULL"
  ");"
  "INSERT INTO calls VALUES (7, 'old-1', 'kiruvchi', '+998901234567', '1001', '1001',"
  "  1735732800, 1735732865, 65, 40, 'javob berildi', 4, 0, 'rec-9', '/tmp/rec-9.wav', 'cdr',"
  "  1735736400, 1735736400);"
  "INSERT INTO calls VALUES (9, 'old-2', 'chiquvchi', '1002', '+998935551122', '1002',"
  "  1735733400, 1735733420, 20, 0, 'band', 2, 0, NULL, NULL, 'cdr', 1735736400, 1735736400);"
  "INSERT INTO calls VALUES (12, 'live-3', 'kiruvchi', '+998977770000', '1001', '1001',"
  "  1735734000, 1735734030, 30, 25, 'javob berildi', NULL, 0, NULL, NULL, 'live',"
  "  1735734060, 1735734060);"
  "INSERT INTO calls_numbers (calls_numbers) VALUES ('rebuild');"
  "INSERT INTO sync_state VALUES (1, 1735733400);"
  "PRAGMA application_id = 1262703689;"
  "PRAGMA user_version = 2;";

/* A v2 history is upgraded in place, in a moment, with every row under the
 * same id: the history's order, its search, the sync's starting point and
 * the live row waiting for its CDR are as they were, the status check still
 * refuses what the history cannot show, and a row goes in without building
 * a temporary B-tree. */
static void
test_store_migrate_v2 (void)
{
  g_autofree char *dir = kc_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "calls.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (KcStore) store = NULL;
  g_autoptr (KcRecord) first = NULL;
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GPtrArray) all = NULL;
  sqlite3 *db;

  db = sqlite_open (path);
  sqlite_exec (db, v2_schema);
  g_assert_true (builds_temporary_btree (db, insert_row));
  sqlite3_close (db);

  store = kc_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kc_store_count (store), ==, 3);

  first = lookup (store, "old-1");
  g_assert_nonnull (first);
  g_assert_cmpint (first->start_time, ==, T0);
  g_assert_cmpint (first->end_time, ==, T0 + 65);
  g_assert_cmpint (first->status, ==, KC_CALL_STATUS_ANSWERED);
  g_assert_cmpstr (first->recording_path, ==, "/tmp/rec-9.wav");

  all = kc_store_query_history (store, NULL, 0, NULL, FALSE, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3);
  g_assert_cmpstr (((KcRecord *) all->pdata[0])->call_id, ==, "live-3");
  g_assert_cmpstr (((KcRecord *) all->pdata[2])->call_id, ==, "old-1");

  /* the number index was rebuilt from the rows */
  found = search (store, "555112");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((KcRecord *) found->pdata[0])->call_id, ==, "old-2");
  g_clear_pointer (&found, g_ptr_array_unref);
  found = search (store, "7770000");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((KcRecord *) found->pdata[0])->call_id, ==, "live-3");
  g_clear_pointer (&found, g_ptr_array_unref);

  g_assert_cmpint (kc_store_get_complete_until (store), ==, T0 + 600);

  /* the live row still gives way to its CDR, and a new call is found */
  g_assert_cmpuint (upsert_one (store, make_record ("cdr-3", "+998977770000", "1001", T0 + 1201,
                                                    30, KC_CALL_STATUS_ANSWERED)),
                    ==, 0);
  g_assert_null (lookup (store, "live-3"));
  g_assert_cmpuint (upsert_one (store, make_record ("cdr-4", "+998914443322", "1003", T0 + 1800,
                                                    0, KC_CALL_STATUS_MISSED)),
                    ==, 1);
  found = search (store, "4443");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((KcRecord *) found->pdata[0])->call_id, ==, "cdr-4");
  g_assert_cmpint (kc_store_count (store), ==, 4);
  g_clear_object (&store);

  db = sqlite_open (path);
  g_assert_cmpint (sqlite_int (db, "PRAGMA user_version"), ==, latest_version ());
  g_assert_cmpint (sqlite_int (db, "SELECT count(*) FROM call"), ==, 4);
  g_assert_cmpint (sqlite_int (db, "SELECT id FROM calls WHERE call_id = 'old-2'"), ==, 9);
  g_assert_false (builds_temporary_btree (db, insert_row));
  g_assert_cmpint (sqlite3_exec (db, "INSERT INTO calls (call_id, direction, from_number,"
                                     " to_number, start_time, status, source, created_at,"
                                     " updated_at) VALUES ('bad', 'kiruvchi', '1', '2', 0,"
                                     " 'unknown', 'cdr', 0, 0)",
                                 NULL, NULL, NULL),
                   ==, SQLITE_CONSTRAINT);
  {
    g_autofree char *check = sqlite_text (db, "PRAGMA integrity_check");

    g_assert_cmpstr (check, ==, "ok");
  }
  g_assert_cmpint (sqlite_int (db, "INSERT INTO calls_numbers (calls_numbers, rank)"
                                   " VALUES ('integrity-check', 1) RETURNING 1"),
                   ==, 1);
  sqlite3_close (db);
  kc_test_rm_rf (dir);
}

static void
test_store_number_search (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr (GPtrArray) batch = records_new ();
  g_autoptr (GPtrArray) found = NULL;
  sqlite3 *db;
  static const struct
  {
    const char *number;
    guint       n_found;
  } cases[] = {
    { "+99890", 2 }, { "901234", 1 }, { "1234567", 1 }, { "555", 2 }, { "55", 2 }, { "5", 3 },
    { "1002", 2 }, { "\"1002", 0 }, { "10", 3 }, { "+9989355511220", 0 }, { "777", 0 },
  };

  g_ptr_array_add (batch, make_record ("c1", "+998901234567", "1001", T0, 65,
                                       KC_CALL_STATUS_ANSWERED));
  g_ptr_array_add (batch, make_record ("c2", "1002", "+998935551122", T0 + 60, 30,
                                       KC_CALL_STATUS_BUSY));
  g_ptr_array_add (batch, make_record ("c3", "+998905550000", "1002", T0 + 120, 20,
                                       KC_CALL_STATUS_MISSED));
  upsert (f->store, batch);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_clear_pointer (&found, g_ptr_array_unref);
      found = search (f->store, cases[i].number);
      g_test_message ("number %s", cases[i].number);
      g_assert_cmpuint (found->len, ==, cases[i].n_found);
    }

  /* The PBX corrects a CDR's number: found by the new one only */
  g_assert_cmpuint (upsert_one (f->store, make_record ("c1", "+998907654321", "1001", T0, 65,
                                                       KC_CALL_STATUS_ANSWERED)),
                    ==, 0);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = search (f->store, "1234567");
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = search (f->store, "7654321");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((KcRecord *) found->pdata[0])->call_id, ==, "c1");

  /* A new call and its correction in one page: found by the corrected
   * number only, once */
  g_clear_pointer (&batch, g_ptr_array_unref);
  batch = records_new ();
  g_ptr_array_add (batch, make_record ("c4", "+998911112233", "1003", T0 + 180, 10,
                                       KC_CALL_STATUS_BUSY));
  g_ptr_array_add (batch, make_record ("c5", "+998944445566", "1003", T0 + 240, 10,
                                       KC_CALL_STATUS_BUSY));
  g_ptr_array_add (batch, make_record ("c4", "+998911118899", "1003", T0 + 180, 10,
                                       KC_CALL_STATUS_BUSY));
  g_assert_cmpuint (upsert (f->store, batch), ==, 2);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = search (f->store, "1112233");
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = search (f->store, "1118899");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((KcRecord *) found->pdata[0])->call_id, ==, "c4");
  g_clear_pointer (&found, g_ptr_array_unref);
  found = search (f->store, "4445566");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((KcRecord *) found->pdata[0])->call_id, ==, "c5");
  g_clear_pointer (&found, g_ptr_array_unref);
  found = search (f->store, "+99891");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (((KcRecord *) found->pdata[0])->call_id, ==, "c4");

  /* the index holds what the rows hold, nothing else */
  db = sqlite_open (kc_store_get_path (f->store));
  g_assert_cmpint (sqlite_int (db, "INSERT INTO calls_numbers (calls_numbers, rank)"
                                   " VALUES ('integrity-check', 1) RETURNING 1"),
                   ==, 1);
  sqlite3_close (db);
}

/* The mark of complete history only moves forward and survives a reopen */
static void
test_store_complete_until (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (kc_store_get_complete_until (f->store), ==, -1);
  g_assert_true (kc_store_set_complete_until (f->store, T0, &error));
  g_assert_no_error (error);
  g_assert_true (kc_store_set_complete_until (f->store, T0 - 100, &error));
  g_assert_cmpint (kc_store_get_complete_until (f->store), ==, T0);
  g_clear_object (&f->store);
  f->store = kc_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (kc_store_get_complete_until (f->store), ==, T0);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  /* kc_store_default_path() must point into a scratch folder, never at the
   * real history of whoever runs the tests. */
  data_home = kc_test_make_tmpdir ();
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

#define ADD(name, func) \
  g_test_add ("/store/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  g_test_add_func ("/store/private-files", test_store_private_files);
  ADD ("private-again", test_store_private_again);
  ADD ("shared-folder-left-alone", test_store_shared_folder_left_alone);
  ADD ("upsert", test_store_upsert);
  ADD ("same-numbers-other-id", test_store_same_numbers_other_id);
  ADD ("live-replaced-by-cdr", test_store_live_replaced_by_cdr);
  ADD ("live-after-cdr", test_store_live_after_cdr);
  ADD ("live-corrected", test_store_live_corrected);
  ADD ("link-recordings", test_store_link_recordings);
  ADD ("recording-path", test_store_recording_path);
  ADD ("query-pages", test_store_query_pages);
  ADD ("values-verbatim", test_store_values_verbatim);
  ADD ("batch-rollback", test_store_batch_rollback);
  ADD ("reopen", test_store_reopen);
  ADD ("design-view", test_store_design_view);
  g_test_add_func ("/store/foreign-sqlite", test_store_foreign_sqlite);
  g_test_add_func ("/store/not-sqlite", test_store_not_sqlite);
  ADD ("newer-schema", test_store_newer_schema);
  g_test_add_func ("/store/migrate-v1", test_store_migrate_v1);
  g_test_add_func ("/store/migrate-v2", test_store_migrate_v2);
  ADD ("number-search", test_store_number_search);
  ADD ("complete-until", test_store_complete_until);

#undef ADD

  status = g_test_run ();
  kc_test_rm_rf (data_home);
  return status;
}
