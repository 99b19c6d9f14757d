/* test-history-model.c: the lazy call history list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <sqlite3.h>
#include <string.h>

#include "core/kc-history-model.h"
#include "kc-test-util.h"

/* 2025-01-01T12:00:00Z */
#define T0 1735732800

/* Five pages or so, with three calls in each start minute so that pages end
 * in the middle of a tie */
#define N_SMALL 1000

/* Three calls a second, and one row on the last page. Writing 200,000 rows
 * through the store takes over 20 s under AddressSanitizer; this many is
 * still five hundred pages to walk. */
#define N_LARGE 100001

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Change;

typedef struct
{
  char           *dir;
  KcStore        *store;
  GPtrArray      *records; /* KcRecord as written, without ids */
  KcHistoryModel *model;
  GArray         *changes; /* Change, one per items-changed */
} Fixture;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GArray     *changes)
{
  Change change = { position, removed, added };

  g_array_append_val (changes, change);
}

static KcRecord *
make_record (const char   *call_id,
             KcDirection   direction,
             const char   *external,
             const char   *extension,
             KcCallStatus  status,
             gint64        start)
{
  KcRecord *record = kc_record_new ();

  record->call_id = g_strdup (call_id);
  record->direction = direction;
  record->from_number = g_strdup (direction == KC_DIRECTION_INCOMING ? external : extension);
  record->to_number = g_strdup (direction == KC_DIRECTION_INCOMING ? extension : external);
  record->extension = g_strdup (extension);
  record->start_time = start;
  record->duration = 30;
  record->end_time = start + 30;
  record->status = status;
  record->from_cdr = TRUE;
  return record;
}

static GPtrArray *
records_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) kc_record_free);
}

static void
upsert (KcStore   *store,
        GPtrArray *records)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (kc_store_upsert_records (store, records, NULL, &error));
  g_assert_no_error (error);
}

/* Takes ownership of record */
static void
upsert_one (KcStore  *store,
            KcRecord *record)
{
  g_autoptr (GPtrArray) records = records_new ();

  g_ptr_array_add (records, record);
  upsert (store, records);
}

static KcRecord *
small_record (guint i)
{
  g_autofree char *call_id = g_strdup_printf ("c%04u", i);
  g_autofree char *external = NULL;
  g_autofree char *extension = g_strdup_printf ("10%02u", i % 20);

  if (i % 5 == 0)
    external = g_strdup_printf ("+99890777%04u", i);
  else
    external = g_strdup_printf ("+99893%07u", (i * 7919) % 10000000);
  return make_record (call_id, i % 2 ? KC_DIRECTION_OUTGOING : KC_DIRECTION_INCOMING, external,
                      extension, (i / 2) % 4, T0 + (i / 3) * 60);
}

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
  f->records = records_new ();
  f->changes = g_array_new (FALSE, FALSE, sizeof (Change));
}

static void
fixture_set_up_small (Fixture       *f,
                      gconstpointer  data)
{
  fixture_set_up (f, data);
  for (guint i = 0; i < N_SMALL; i++)
    g_ptr_array_add (f->records, small_record (i));
  upsert (f->store, f->records);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->model);
  g_clear_object (&f->store);
  g_clear_pointer (&f->records, g_ptr_array_unref);
  g_clear_pointer (&f->changes, g_array_unref);
  kc_test_rm_rf (f->dir);
  g_free (f->dir);
}

static void
watch_model (Fixture *f)
{
  f->model = kc_history_model_new (f->store);
  g_signal_connect (f->model, "items-changed", G_CALLBACK (on_items_changed), f->changes);
}

static guint
n_items (KcHistoryModel *model)
{
  return g_list_model_get_n_items (G_LIST_MODEL (model));
}

static KcRecordObject *
get_item (KcHistoryModel *model,
          guint           position)
{
  KcRecordObject *item = g_list_model_get_item (G_LIST_MODEL (model), position);

  g_assert_nonnull (item);
  g_assert_true (KC_IS_RECORD_OBJECT (item));
  return item;
}

static const char *
call_id_of (KcRecordObject *item)
{
  return kc_record_object_get_record (item)->call_id;
}

static void
assert_change (Fixture *f,
               guint    index,
               guint    position,
               guint    removed,
               guint    added)
{
  Change *change;

  g_assert_cmpuint (index, <, f->changes->len);
  change = &g_array_index (f->changes, Change, index);
  g_assert_cmpuint (change->position, ==, position);
  g_assert_cmpuint (change->removed, ==, removed);
  g_assert_cmpuint (change->added, ==, added);
}

static void
assert_newer (const KcRecord *newer,
              const KcRecord *older)
{
  if (newer->start_time == older->start_time)
    g_assert_cmpint (strcmp (newer->id, older->id), >, 0);
  else
    g_assert_cmpint (newer->start_time, >, older->start_time);
}

/* Every row the model shows, in order; checks they come newest first and
 * each call once. -> call_ids */
static GPtrArray *
walk (KcHistoryModel *model)
{
  GPtrArray *seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) unique = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (KcRecordObject) previous = NULL;
  guint n = n_items (model);

  for (guint i = 0; i < n; i++)
    {
      KcRecordObject *item = get_item (model, i);

      if (previous)
        assert_newer (kc_record_object_get_record (previous), kc_record_object_get_record (item));
      g_ptr_array_add (seen, g_strdup (call_id_of (item)));
      g_assert_true (g_hash_table_add (unique, (char *) call_id_of (item)));
      g_clear_object (&previous);
      previous = item;
    }
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), n));
  return seen;
}

/* Runs what is ready now, such as the refresh after a change */
static void
drain_main_context (void)
{
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

static gboolean
filter_matches (const KcHistoryFilter *filter,
                const KcRecord        *record)
{
  if (filter->number && *filter->number && !strstr (record->from_number, filter->number) &&
      !strstr (record->to_number, filter->number))
    return FALSE;
  if (filter->direction >= 0 && (int) record->direction != filter->direction)
    return FALSE;
  if (filter->status >= 0 && (int) record->status != filter->status)
    return FALSE;
  if (filter->since != -1 && record->start_time < filter->since)
    return FALSE;
  if (filter->until != -1 && record->start_time >= filter->until)
    return FALSE;
  return TRUE;
}

static void
test_empty (Fixture       *f,
            gconstpointer  data)
{
  watch_model (f);

  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (f->model)) == KC_TYPE_RECORD_OBJECT);
  g_assert_cmpuint (n_items (f->model), ==, 0);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (f->model), 0));
  g_assert_cmpint (kc_history_model_find (f->model, "c0001"), ==, -1);

  upsert_one (f->store, small_record (1));
  KC_TEST_WAIT_UNTIL (f->changes->len > 0, 5);
  assert_change (f, 0, 0, 0, 1);
  g_assert_cmpuint (n_items (f->model), ==, 1);
  g_assert_cmpint (kc_history_model_find (f->model, "c0001"), ==, 0);
}

static void
test_order (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr (GPtrArray) forward = NULL;
  g_autoptr (KcHistoryModel) backward = NULL;
  g_autoptr (KcHistoryModel) jumping = NULL;
  g_autoptr (GArray) positions = g_array_new (FALSE, FALSE, sizeof (guint));

  watch_model (f);
  g_assert_cmpuint (n_items (f->model), ==, kc_store_count (f->store));
  g_assert_cmpuint (n_items (f->model), ==, N_SMALL);

  forward = walk (f->model);
  g_assert_cmpuint (forward->len, ==, N_SMALL);
  g_assert_cmpstr (g_ptr_array_index (forward, 0), ==, "c0999");

  /* Scrolling up from the bottom shows the same rows in the same places. */
  backward = kc_history_model_new (f->store);
  for (guint i = N_SMALL; i-- > 0;)
    {
      g_autoptr (KcRecordObject) item = get_item (backward, i);

      g_assert_cmpstr (call_id_of (item), ==, g_ptr_array_index (forward, i));
    }

  /* So does jumping about, as a dragged scrollbar does. */
  jumping = kc_history_model_new (f->store);
  for (guint i = 0; i < N_SMALL; i += 7)
    g_array_append_val (positions, i);
  for (guint i = positions->len - 1; i > 0; i--)
    {
      guint j = g_test_rand_int_range (0, i + 1);
      guint swap = g_array_index (positions, guint, i);

      g_array_index (positions, guint, i) = g_array_index (positions, guint, j);
      g_array_index (positions, guint, j) = swap;
    }
  for (guint i = 0; i < positions->len; i++)
    {
      guint position = g_array_index (positions, guint, i);
      g_autoptr (KcRecordObject) item = get_item (jumping, position);

      g_assert_cmpstr (call_id_of (item), ==, g_ptr_array_index (forward, position));
    }

  g_assert_cmpuint (f->changes->len, ==, 0);
}

/* List views tell rows apart by their item: asking again for a row on a
 * cached page gives the same object. */
static void
test_same_object (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr (KcRecordObject) first = NULL;
  g_autoptr (KcRecordObject) again = NULL;
  g_autoptr (KcRecordObject) far = NULL;
  g_autoptr (KcRecordObject) far_again = NULL;

  watch_model (f);
  first = get_item (f->model, 5);
  far = get_item (f->model, 777);
  again = get_item (f->model, 5);
  far_again = get_item (f->model, 777);
  g_assert_true (first == again);
  g_assert_true (far == far_again);
  g_assert_false (first == far);
}

static void
check_filter (Fixture               *f,
              const KcHistoryFilter *filter,
              guint                  expected_min)
{
  g_autoptr (GHashTable) expected = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) shown = NULL;
  guint old_n = n_items (f->model);
  guint n_changes = f->changes->len;

  for (guint i = 0; i < f->records->len; i++)
    {
      KcRecord *record = g_ptr_array_index (f->records, i);

      if (filter == NULL || filter_matches (filter, record))
        g_hash_table_add (expected, record->call_id);
    }
  g_assert_cmpuint (g_hash_table_size (expected), >=, expected_min);

  kc_history_model_set_filter (f->model, filter);
  g_assert_cmpuint (n_items (f->model), ==, g_hash_table_size (expected));
  if (old_n > 0 || n_items (f->model) > 0)
    {
      g_assert_cmpuint (f->changes->len, ==, n_changes + 1);
      assert_change (f, n_changes, 0, old_n, n_items (f->model));
    }

  shown = walk (f->model);
  for (guint i = 0; i < shown->len; i++)
    g_assert_true (g_hash_table_contains (expected, g_ptr_array_index (shown, i)));
}

static void
test_filters (Fixture       *f,
              gconstpointer  data)
{
  const gint64 since = T0 + 100 * 60;
  const gint64 until = T0 + 200 * 60;
  const KcHistoryFilter filters[] = {
    { "90777", -1, -1, -1, -1 },
    /* the extension is the other end of the call */
    { "1007", -1, -1, -1, -1 },
    { NULL, KC_DIRECTION_INCOMING, -1, -1, -1 },
    { NULL, KC_DIRECTION_OUTGOING, -1, -1, -1 },
    { NULL, -1, KC_CALL_STATUS_MISSED, -1, -1 },
    { NULL, -1, KC_CALL_STATUS_FAILED, -1, -1 },
    /* three calls start exactly at `since`; three exactly at `until` */
    { NULL, -1, -1, since, -1 },
    { NULL, -1, -1, -1, until },
    { NULL, -1, -1, since, until },
    { "", KC_DIRECTION_INCOMING, KC_CALL_STATUS_BUSY, since, until },
    { "77", KC_DIRECTION_OUTGOING, KC_CALL_STATUS_ANSWERED, since, -1 },
    { "90777", -1, -1, since, until },
  };
  const KcHistoryFilter nothing[] = {
    /* the search box's text is a literal, not a pattern */
    { "%", -1, -1, -1, -1 },
    { "_", -1, -1, -1, -1 },
    { "+99890777", KC_DIRECTION_INCOMING, -1, until, since },
  };

  watch_model (f);
  for (guint i = 0; i < G_N_ELEMENTS (filters); i++)
    {
      g_test_message ("filter %u", i);
      check_filter (f, &filters[i], 2);
    }
  for (guint i = 0; i < G_N_ELEMENTS (nothing); i++)
    {
      check_filter (f, &nothing[i], 0);
      g_assert_cmpuint (n_items (f->model), ==, 0);
    }
  check_filter (f, NULL, N_SMALL);
  g_assert_cmpuint (n_items (f->model), ==, N_SMALL);
}

/* The model keeps its own copy: the caller's buffer may change or go. */
static void
test_filter_copied (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *number = g_strdup ("90777");
  KcHistoryFilter filter = { number, -1, -1, -1, -1 };
  guint n;

  watch_model (f);
  check_filter (f, &filter, N_SMALL / 5);
  n = n_items (f->model);

  number[0] = 'x';
  g_clear_pointer (&number, g_free);
  filter.direction = KC_DIRECTION_OUTGOING;

  upsert_one (f->store, make_record ("new", KC_DIRECTION_INCOMING, "+998907770000", "1001",
                                     KC_CALL_STATUS_ANSWERED, T0 + 86400));
  KC_TEST_WAIT_UNTIL (f->changes->len == 2, 5);
  assert_change (f, 1, 0, 0, 1);
  g_assert_cmpuint (n_items (f->model), ==, n + 1);
}

/* New calls arrive at the top; the view is told exactly that, and every row
 * it already holds stays the same object one place further down. */
static void
test_prepend (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr (GPtrArray) batch = records_new ();
  g_autoptr (GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  guint n;

  watch_model (f);
  for (guint i = 0; i < 400; i++)
    g_ptr_array_add (held, get_item (f->model, i));

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *call_id = g_strdup_printf ("new%u", i);

      g_ptr_array_add (batch, make_record (call_id, KC_DIRECTION_INCOMING, "+998901112233",
                                           "1001", KC_CALL_STATUS_ANSWERED, T0 + 86400 + i));
    }
  upsert (f->store, batch);
  KC_TEST_WAIT_UNTIL (f->changes->len > 0, 5);
  g_assert_cmpuint (f->changes->len, ==, 1);
  assert_change (f, 0, 0, 0, 3);
  g_assert_cmpuint (n_items (f->model), ==, N_SMALL + 3);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (KcRecordObject) item = get_item (f->model, i);
      g_autofree char *call_id = g_strdup_printf ("new%u", 2 - i);

      g_assert_cmpstr (call_id_of (item), ==, call_id);
    }
  for (guint i = 0; i < held->len; i++)
    {
      g_autoptr (KcRecordObject) item = get_item (f->model, i + 3);

      g_assert_true (item == g_ptr_array_index (held, i));
    }

  /* A burst of writes is one change for the view. */
  n = n_items (f->model);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *call_id = g_strdup_printf ("burst%u", i);

      upsert_one (f->store, make_record (call_id, KC_DIRECTION_OUTGOING, "+998901112233",
                                         "1001", KC_CALL_STATUS_MISSED, T0 + 2 * 86400 + i));
    }
  KC_TEST_WAIT_UNTIL (f->changes->len > 1, 5);
  g_assert_cmpuint (f->changes->len, ==, 2);
  assert_change (f, 1, 0, 0, 4);
  g_assert_cmpuint (n_items (f->model), ==, n + 4);
  g_clear_pointer (&held, g_ptr_array_unref);
  g_clear_pointer (&batch, g_ptr_array_unref);
  g_ptr_array_unref (walk (f->model));
}

/* A late CDR for an old call lands in the middle: the list is redone and the
 * call shows up in its place. */
static void
test_insert_middle (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr (KcRecordObject) before = NULL;
  g_autoptr (KcRecordObject) item = NULL;
  g_autoptr (GPtrArray) shown = NULL;
  gint64 position;

  watch_model (f);
  before = get_item (f->model, 10);
  upsert_one (f->store, make_record ("late", KC_DIRECTION_INCOMING, "+998905556677", "1003",
                                     KC_CALL_STATUS_MISSED, T0 + 150 * 60 + 30));
  KC_TEST_WAIT_UNTIL (f->changes->len > 0, 5);
  g_assert_cmpuint (f->changes->len, ==, 1);
  assert_change (f, 0, 0, N_SMALL, N_SMALL + 1);

  /* newer: three calls in each minute from 151 to 332, one in minute 333 */
  position = kc_history_model_find (f->model, "late");
  g_assert_cmpint (position, ==, (333 - 151) * 3 + 1);
  item = get_item (f->model, position);
  g_assert_cmpstr (call_id_of (item), ==, "late");

  shown = walk (f->model);
  g_assert_cmpuint (shown->len, ==, N_SMALL + 1);
  g_assert_cmpstr (g_ptr_array_index (shown, position), ==, "late");
}

/* A row changed in place (its recording downloaded) shows the change. */
static void
test_edit (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcRecordObject) old_item = NULL;
  g_autoptr (KcRecordObject) new_item = NULL;
  g_autofree char *call_id = NULL;

  watch_model (f);
  old_item = get_item (f->model, 10);
  call_id = g_strdup (call_id_of (old_item));
  g_assert_null (kc_record_object_get_record (old_item)->recording_path);

  g_assert_true (kc_store_set_recording_path (f->store, call_id, "/tmp/r.wav", &error));
  g_assert_no_error (error);
  KC_TEST_WAIT_UNTIL (f->changes->len > 0, 5);
  g_assert_cmpuint (f->changes->len, ==, 1);
  assert_change (f, 0, 0, N_SMALL, N_SMALL);

  new_item = get_item (f->model, 10);
  g_assert_cmpstr (call_id_of (new_item), ==, call_id);
  g_assert_cmpstr (kc_record_object_get_record (new_item)->recording_path, ==, "/tmp/r.wav");
}

/* A call written when it ended, then its CDR: one row throughout. */
static void
test_live_then_cdr (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcRecord) live = make_record ("live-1", KC_DIRECTION_INCOMING, "+998901234567",
                                           "1001", KC_CALL_STATUS_ANSWERED, T0 + 86400);
  g_autoptr (KcRecordObject) item = NULL;

  watch_model (f);
  live->from_cdr = FALSE;
  g_assert_true (kc_store_add_live_record (f->store, live, &error));
  g_assert_no_error (error);
  KC_TEST_WAIT_UNTIL (f->changes->len > 0, 5);
  assert_change (f, 0, 0, 0, 1);

  upsert_one (f->store, make_record ("cdr-1", KC_DIRECTION_INCOMING, "+998901234567", "1001",
                                     KC_CALL_STATUS_ANSWERED, T0 + 86400 + 1));
  KC_TEST_WAIT_UNTIL (f->changes->len > 1, 5);
  assert_change (f, 1, 0, N_SMALL + 1, N_SMALL + 1);
  item = get_item (f->model, 0);
  g_assert_cmpstr (call_id_of (item), ==, "cdr-1");
  g_assert_true (kc_record_object_get_record (item)->from_cdr);
}

/* A search stays still while calls it does not match come in. */
static void
test_filtered_unaffected (Fixture       *f,
                          gconstpointer  data)
{
  KcHistoryFilter filter = { "90777", -1, -1, -1, -1 };
  guint n;

  watch_model (f);
  kc_history_model_set_filter (f->model, &filter);
  n = n_items (f->model);
  g_array_set_size (f->changes, 0);

  upsert_one (f->store, make_record ("other", KC_DIRECTION_INCOMING, "+998911111111", "1001",
                                     KC_CALL_STATUS_ANSWERED, T0 + 86400));
  drain_main_context ();
  g_assert_cmpuint (f->changes->len, ==, 0);
  g_assert_cmpuint (n_items (f->model), ==, n);

  upsert_one (f->store, make_record ("match", KC_DIRECTION_INCOMING, "+998907771111", "1001",
                                     KC_CALL_STATUS_ANSWERED, T0 + 86400 + 60));
  KC_TEST_WAIT_UNTIL (f->changes->len > 0, 5);
  g_assert_cmpuint (f->changes->len, ==, 1);
  assert_change (f, 0, 0, 0, 1);
  g_assert_cmpint (kc_history_model_find (f->model, "match"), ==, 0);
  g_assert_cmpint (kc_history_model_find (f->model, "other"), ==, -1);
}

/* Scrolling down while new calls arrive (before the list hears of them)
 * continues exactly below the rows on screen: none twice, none skipped. */
static void
test_scroll_while_adding (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr (KcHistoryModel) reference = kc_history_model_new (f->store);
  g_autoptr (GPtrArray) expected = walk (reference);
  g_autoptr (GPtrArray) batch = records_new ();
  g_autoptr (GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);

  watch_model (f);
  for (guint i = 0; i < 200; i++)
    g_ptr_array_add (held, get_item (f->model, i));

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *call_id = g_strdup_printf ("new%u", i);

      g_ptr_array_add (batch, make_record (call_id, KC_DIRECTION_INCOMING, "+998901112233",
                                           "1001", KC_CALL_STATUS_ANSWERED, T0 + 86400 + i));
    }
  upsert (f->store, batch);

  for (guint i = 200; i < 600; i++)
    {
      KcRecordObject *item = get_item (f->model, i);

      g_assert_cmpstr (call_id_of (item), ==, g_ptr_array_index (expected, i));
      g_ptr_array_add (held, item);
    }

  KC_TEST_WAIT_UNTIL (f->changes->len > 0, 5);
  g_assert_cmpuint (f->changes->len, ==, 1);
  assert_change (f, 0, 0, 0, 5);
  for (guint i = 0; i < held->len; i++)
    {
      g_autoptr (KcRecordObject) item = get_item (f->model, i + 5);

      g_assert_true (item == g_ptr_array_index (held, i));
    }
}

/* The view asked for the top rows after new calls were written but before
 * the list heard of them: it got the new rows, so it must be told to redo
 * everything rather than to insert above them. */
static void
test_read_top_while_adding (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr (KcRecordObject) top = NULL;
  g_autoptr (GPtrArray) shown = NULL;

  watch_model (f);
  upsert_one (f->store, make_record ("new", KC_DIRECTION_INCOMING, "+998901112233", "1001",
                                     KC_CALL_STATUS_ANSWERED, T0 + 86400));
  top = get_item (f->model, 0);

  KC_TEST_WAIT_UNTIL (f->changes->len > 0, 5);
  g_assert_cmpuint (f->changes->len, ==, 1);
  assert_change (f, 0, 0, N_SMALL, N_SMALL + 1);
  shown = walk (f->model);
  g_assert_cmpuint (shown->len, ==, N_SMALL + 1);
  g_assert_cmpstr (g_ptr_array_index (shown, 0), ==, "new");
}

static void
test_find (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr (KcHistoryModel) reference = kc_history_model_new (f->store);
  g_autoptr (GPtrArray) all = walk (reference);
  g_autoptr (GPtrArray) missed = NULL;
  KcHistoryFilter filter = { NULL, -1, KC_CALL_STATUS_MISSED, -1, -1 };
  const guint probes[] = { 0, 1, 199, 200, 201, 555, N_SMALL - 1 };

  watch_model (f);
  for (guint i = 0; i < G_N_ELEMENTS (probes); i++)
    g_assert_cmpint (kc_history_model_find (f->model, g_ptr_array_index (all, probes[i])), ==,
                     probes[i]);
  /* and again with those rows cached */
  for (guint i = 0; i < G_N_ELEMENTS (probes); i++)
    {
      g_autoptr (KcRecordObject) item = get_item (f->model, probes[i]);

      g_assert_cmpint (kc_history_model_find (f->model, call_id_of (item)), ==, probes[i]);
    }
  g_assert_cmpint (kc_history_model_find (f->model, "no-such-call"), ==, -1);

  kc_history_model_set_filter (f->model, &filter);
  missed = walk (f->model);
  g_assert_cmpuint (missed->len, >, 3);
  for (guint i = 0; i < missed->len; i += missed->len / 3)
    g_assert_cmpint (kc_history_model_find (f->model, g_ptr_array_index (missed, i)), ==, i);
  /* c0000 is answered */
  g_assert_cmpint (kc_history_model_find (f->model, "c0000"), ==, -1);

  /* A call just written is found where the list shows it. */
  kc_history_model_set_filter (f->model, NULL);
  g_array_set_size (f->changes, 0);
  upsert_one (f->store, make_record ("fresh", KC_DIRECTION_INCOMING, "+998901112233", "1001",
                                     KC_CALL_STATUS_ANSWERED, T0 + 86400));
  g_assert_cmpint (kc_history_model_find (f->model, "fresh"), ==, 0);
  g_assert_cmpuint (n_items (f->model), ==, N_SMALL + 1);
  g_assert_cmpuint (f->changes->len, ==, 1);
}

static void
sqlite_exec_on (const char *path,
                const char *sql)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* A broken history is an empty list and one line in the log, not a crash
 * nor a flood; it comes back once the store works and changes again. */
static void
test_store_error (Fixture       *f,
                  gconstpointer  data)
{
  const char *path = kc_store_get_path (f->store);
  KcHistoryFilter filter = { NULL, KC_DIRECTION_INCOMING, -1, -1, -1 };

  watch_model (f);
  g_assert_cmpuint (n_items (f->model), ==, N_SMALL);

  sqlite_exec_on (path, "ALTER TABLE calls RENAME TO calls_away");
  g_test_expect_message ("kc-history-model", G_LOG_LEVEL_WARNING, "*Call history unavailable*");
  kc_history_model_set_filter (f->model, &filter);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (n_items (f->model), ==, 0);
  assert_change (f, 0, 0, N_SMALL, 0);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (f->model), 0));

  /* logged once: another warning would abort the test */
  kc_history_model_set_filter (f->model, NULL);
  g_assert_cmpint (kc_history_model_find (f->model, "c0001"), ==, -1);
  g_signal_emit_by_name (f->store, "changed");
  drain_main_context ();
  g_assert_cmpuint (n_items (f->model), ==, 0);
  g_assert_cmpuint (f->changes->len, ==, 1);

  sqlite_exec_on (path, "ALTER TABLE calls_away RENAME TO calls");
  g_signal_emit_by_name (f->store, "changed");
  KC_TEST_WAIT_UNTIL (f->changes->len > 1, 5);
  assert_change (f, 1, 0, 0, N_SMALL);
  g_assert_cmpint (kc_history_model_find (f->model, "c0999"), ==, 0);
}

/* A model over the small history whose rows the view has read from POSITION
 * to POSITION + 30, as a screen of rows; then the main loop runs, as it does
 * between two frames. */
static KcHistoryModel *
model_read_at (Fixture *f,
               guint    position)
{
  KcHistoryModel *model = kc_history_model_new (f->store);

  for (guint i = position; i < position + 30 && i < N_SMALL; i++)
    g_object_unref (get_item (model, i));
  drain_main_context ();
  return model;
}

/* Scrolling on, the rows of the next page are already there: read between
 * frames, before the view asks for them. Shown by the store failing after
 * that idle: those rows still come, right, without a read. */
static void
test_read_ahead (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr (KcHistoryModel) reference = kc_history_model_new (f->store);
  g_autoptr (GPtrArray) expected = walk (reference);
  g_autoptr (KcHistoryModel) down = NULL;
  g_autoptr (KcHistoryModel) up = NULL;
  const char *path = kc_store_get_path (f->store);

  /* down from the top: page [0, 200) read, [200, 400) read ahead */
  down = model_read_at (f, 150);
  /* up from the bottom: the last page read, the one above it read ahead */
  up = model_read_at (f, N_SMALL - 30);

  sqlite_exec_on (path, "ALTER TABLE calls RENAME TO calls_away");
  for (guint i = 200; i < 400; i++)
    {
      g_autoptr (KcRecordObject) item = get_item (down, i);

      g_assert_cmpstr (call_id_of (item), ==, g_ptr_array_index (expected, i));
    }
  for (guint i = N_SMALL - 31; i > N_SMALL - 231; i--)
    {
      g_autoptr (KcRecordObject) item = get_item (up, i);

      g_assert_cmpstr (call_id_of (item), ==, g_ptr_array_index (expected, i));
    }
  sqlite_exec_on (path, "ALTER TABLE calls_away RENAME TO calls");
  g_assert_cmpuint (f->changes->len, ==, 0);
}

/* Reading ahead while a call comes in at the top changes nothing the view
 * sees: one insertion at the top, every row once, in order. */
static void
test_read_ahead_while_adding (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr (KcHistoryModel) reference = NULL;
  g_autoptr (GPtrArray) expected = NULL;
  g_autoptr (GPtrArray) shown = NULL;

  watch_model (f);
  for (guint i = 0; i < 30; i++)
    g_object_unref (get_item (f->model, 170 + i));
  upsert_one (f->store, make_record ("new", KC_DIRECTION_INCOMING, "+998901112233", "1001",
                                     KC_CALL_STATUS_ANSWERED, T0 + 86400));
  KC_TEST_WAIT_UNTIL (f->changes->len > 0, 5);
  drain_main_context ();
  g_assert_cmpuint (f->changes->len, ==, 1);
  assert_change (f, 0, 0, 0, 1);

  reference = kc_history_model_new (f->store);
  expected = walk (reference);
  shown = walk (f->model);
  g_assert_cmpuint (shown->len, ==, N_SMALL + 1);
  for (guint i = 0; i < shown->len; i++)
    g_assert_cmpstr (g_ptr_array_index (shown, i), ==, g_ptr_array_index (expected, i));
}

/* A model made with a filter counts and shows what setting that filter
 * shows, without telling the view of any change. */
static void
test_new_filtered (Fixture       *f,
                   gconstpointer  data)
{
  const KcHistoryFilter filters[] = {
    { NULL, KC_DIRECTION_INCOMING, -1, -1, -1 },
    { "90777", -1, KC_CALL_STATUS_ANSWERED, -1, -1 },
    { NULL, -1, -1, T0 + 100 * 60, T0 + 200 * 60 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (filters); i++)
    {
      g_autoptr (KcHistoryModel) set = kc_history_model_new (f->store);
      g_autoptr (KcHistoryModel) made = kc_history_model_new_filtered (f->store, &filters[i]);
      g_autoptr (GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
      g_autoptr (GPtrArray) set_rows = NULL;
      g_autoptr (GPtrArray) made_rows = NULL;
      guint expected = 0;

      g_signal_connect (made, "items-changed", G_CALLBACK (on_items_changed), changes);
      for (guint j = 0; j < f->records->len; j++)
        expected += filter_matches (&filters[i], g_ptr_array_index (f->records, j));
      g_assert_cmpuint (expected, >, 0);

      kc_history_model_set_filter (set, &filters[i]);
      g_assert_cmpuint (n_items (made), ==, expected);
      g_assert_cmpuint (n_items (set), ==, expected);
      set_rows = walk (set);
      made_rows = walk (made);
      for (guint j = 0; j < expected; j++)
        g_assert_cmpstr (g_ptr_array_index (made_rows, j), ==, g_ptr_array_index (set_rows, j));
      g_assert_cmpuint (changes->len, ==, 0);
    }
}

/* The large history, written once and shared by the tests that only read */
static char    *large_dir;
static KcStore *large_store;

static KcRecord *
large_record (guint i)
{
  g_autofree char *call_id = g_strdup_printf ("L%06u", i);
  g_autofree char *external = g_strdup_printf ("+99890%07u", i);
  g_autofree char *extension = g_strdup_printf ("10%02u", i % 50);

  return make_record (call_id, i % 2, external, extension, i % 4, T0 + i / 3);
}

static KcStore *
get_large_store (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  const guint batch_size = 20000;

  if (large_store != NULL)
    return large_store;

  large_dir = kc_test_make_tmpdir ();
  path = g_build_filename (large_dir, "calls.db", NULL);
  large_store = kc_store_open (path, &error);
  g_assert_no_error (error);
  for (guint first = 0; first < N_LARGE; first += batch_size)
    {
      g_autoptr (GPtrArray) batch = records_new ();

      for (guint i = first; i < first + batch_size && i < N_LARGE; i++)
        g_ptr_array_add (batch, large_record (i));
      upsert (large_store, batch);
    }
  return large_store;
}

/* The start of the row at POSITION: three calls a second, newest first */
static gint64
large_start (guint position)
{
  return T0 + (N_LARGE - 1 - position) / 3;
}

static guint n_live;

static void
on_item_finalized (gpointer  data,
                   GObject  *where_the_object_was)
{
  n_live--;
}

/* Counts each item object the test has seen until it is finalized */
static void
track (KcRecordObject *item)
{
  static GQuark tracked;

  if (tracked == 0)
    tracked = g_quark_from_static_string ("test-tracked");
  if (g_object_get_qdata (G_OBJECT (item), tracked))
    return;
  g_object_set_qdata (G_OBJECT (item), tracked, GINT_TO_POINTER (1));
  g_object_weak_ref (G_OBJECT (item), on_item_finalized, NULL);
  n_live++;
}

/* Scrolling all the way through: every call once, newest first, in
 * memory that does not grow with the history. */
static void
test_large_walk (void)
{
  KcStore *store = get_large_store ();
  g_autoptr (KcHistoryModel) model = kc_history_model_new (store);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (KcRecordObject) previous = NULL;
  guint max_live = 0;

  g_assert_cmpuint (n_items (model), ==, N_LARGE);
  g_assert_cmpuint (n_items (model), ==, kc_store_count (store));

  n_live = 0;
  for (guint i = 0; i < N_LARGE; i++)
    {
      KcRecordObject *item = get_item (model, i);
      const KcRecord *record = kc_record_object_get_record (item);

      track (item);
      g_assert_cmpint (record->start_time, ==, large_start (i));
      if (previous)
        assert_newer (kc_record_object_get_record (previous), record);
      g_assert_true (g_hash_table_add (seen, g_strdup (record->call_id)));
      g_clear_object (&previous);
      previous = item;
      max_live = MAX (max_live, n_live);
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, N_LARGE);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), N_LARGE));

  /* a few thousand rows cached at most, against the 100,000 walked */
  g_test_message ("live items at most %u", max_live);
  g_assert_cmpuint (max_live, <=, 5000);
  g_clear_object (&previous);
  g_clear_object (&model);
  g_assert_cmpuint (n_live, ==, 0);
}

/* Dragging the scrollbar: to the middle, to the end, back up across pages. */
static void
test_large_jumps (void)
{
  KcStore *store = get_large_store ();
  g_autoptr (KcHistoryModel) model = kc_history_model_new (store);
  const guint middle = N_LARGE / 2;
  const guint targets[] = { middle, N_LARGE - 1, N_LARGE / 3, N_LARGE / 4 * 3, 1 };
  g_autoptr (KcRecordObject) middle_item = NULL;
  g_autofree char *newest = g_strdup_printf ("L%06u", N_LARGE - 1);

  for (guint t = 0; t < G_N_ELEMENTS (targets); t++)
    {
      g_autoptr (KcRecordObject) newer = NULL;
      guint from = targets[t];
      guint to = from > 650 ? from - 650 : 0;

      for (guint i = from + 1; i-- > to;)
        {
          KcRecordObject *item = get_item (model, i);
          const KcRecord *record = kc_record_object_get_record (item);

          g_assert_cmpint (record->start_time, ==, large_start (i));
          if (newer)
            assert_newer (record, kc_record_object_get_record (newer));
          g_clear_object (&newer);
          newer = item;
        }
    }

  middle_item = get_item (model, middle);
  g_assert_cmpint (kc_history_model_find (model, call_id_of (middle_item)), ==, middle);
  g_assert_cmpint (kc_history_model_find (model, "L000000"), >=, N_LARGE - 3);
  g_assert_cmpint (kc_history_model_find (model, newest), <, 3);
}

/* Filters over the large history count and page like the whole list. */
static void
test_large_filter (void)
{
  KcStore *store = get_large_store ();
  g_autoptr (KcHistoryModel) model = kc_history_model_new (store);
  KcHistoryFilter filter = { NULL, KC_DIRECTION_OUTGOING, KC_CALL_STATUS_FAILED,
                             T0 + 10000, T0 + 20000 };
  KcHistoryFilter search = { "12", -1, -1, -1, -1 };
  g_autoptr (GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) shown = NULL;
  g_autoptr (GPtrArray) found = NULL;

  /* i odd and i % 4 == 3, with T0 + 10000 <= T0 + i / 3 < T0 + 20000 */
  kc_history_model_set_filter (model, &filter);
  g_assert_cmpuint (n_items (model), ==, 30000 / 4);
  shown = walk (model);
  for (guint i = 0; i < shown->len; i += 997)
    {
      const char *call_id = g_ptr_array_index (shown, i);
      guint64 n = g_ascii_strtoull (call_id + 1, NULL, 10);

      g_assert_cmpuint (n % 4, ==, 3);
      g_assert_cmpuint (n, >=, 30000);
      g_assert_cmpuint (n, <, 60000);
    }

  /* a search finding thousands of rows, more than a few pages */
  for (guint i = 0; i < N_LARGE; i++)
    {
      g_autoptr (KcRecord) record = large_record (i);

      if (filter_matches (&search, record))
        g_hash_table_add (expected, g_steal_pointer (&record->call_id));
    }
  g_assert_cmpuint (g_hash_table_size (expected), >, 4000);
  kc_history_model_set_filter (model, &search);
  g_assert_cmpuint (n_items (model), ==, g_hash_table_size (expected));
  found = walk (model);
  for (guint i = 0; i < found->len; i++)
    g_assert_true (g_hash_table_contains (expected, g_ptr_array_index (found, i)));
}

/* Scrolling through a filtered large history a screen at a time, the main
 * loop running between screens as between frames: every row under the
 * filter once, in order, with read-ahead filling the pages in between. */
static void
test_large_read_ahead (void)
{
  KcStore *store = get_large_store ();
  KcHistoryFilter filter = { NULL, KC_DIRECTION_INCOMING, -1, -1, -1 };
  g_autoptr (KcHistoryModel) model = kc_history_model_new_filtered (store, &filter);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (KcRecordObject) previous = NULL;
  guint n = n_items (model);
  guint max_live = 0;

  /* large_record (i) is incoming for even i */
  g_assert_cmpuint (n, ==, (N_LARGE + 1) / 2);

  n_live = 0;
  for (guint i = 0; i < n; i++)
    {
      KcRecordObject *item = get_item (model, i);
      const KcRecord *record = kc_record_object_get_record (item);
      guint64 number = g_ascii_strtoull (record->call_id + 1, NULL, 10);

      track (item);
      g_assert_cmpuint (number % 2, ==, 0);
      g_assert_cmpint (record->direction, ==, KC_DIRECTION_INCOMING);
      if (previous)
        assert_newer (kc_record_object_get_record (previous), record);
      g_assert_true (g_hash_table_add (seen, g_strdup (record->call_id)));
      g_clear_object (&previous);
      previous = item;
      max_live = MAX (max_live, n_live);
      if (i % 20 == 19)
        drain_main_context ();
    }
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), n));
  g_assert_cmpuint (g_hash_table_size (seen), ==, n);

  g_test_message ("live items at most %u", max_live);
  g_assert_cmpuint (max_live, <=, 5000);
  g_clear_object (&previous);
  g_clear_object (&model);
  g_assert_cmpuint (n_live, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

#define ADD(name, setup, func) \
  g_test_add ("/history-model/" name, Fixture, NULL, setup, func, fixture_tear_down)

  ADD ("empty", fixture_set_up, test_empty);
  ADD ("order", fixture_set_up_small, test_order);
  ADD ("same-object", fixture_set_up_small, test_same_object);
  ADD ("filters", fixture_set_up_small, test_filters);
  ADD ("filter-copied", fixture_set_up_small, test_filter_copied);
  ADD ("prepend", fixture_set_up_small, test_prepend);
  ADD ("insert-middle", fixture_set_up_small, test_insert_middle);
  ADD ("edit", fixture_set_up_small, test_edit);
  ADD ("live-then-cdr", fixture_set_up_small, test_live_then_cdr);
  ADD ("filtered-unaffected", fixture_set_up_small, test_filtered_unaffected);
  ADD ("scroll-while-adding", fixture_set_up_small, test_scroll_while_adding);
  ADD ("read-top-while-adding", fixture_set_up_small, test_read_top_while_adding);
  ADD ("find", fixture_set_up_small, test_find);
  ADD ("store-error", fixture_set_up_small, test_store_error);
  ADD ("read-ahead", fixture_set_up_small, test_read_ahead);
  ADD ("read-ahead-while-adding", fixture_set_up_small, test_read_ahead_while_adding);
  ADD ("new-filtered", fixture_set_up_small, test_new_filtered);
  g_test_add_func ("/history-model/large/walk", test_large_walk);
  g_test_add_func ("/history-model/large/jumps", test_large_jumps);
  g_test_add_func ("/history-model/large/filter", test_large_filter);
  g_test_add_func ("/history-model/large/read-ahead", test_large_read_ahead);

#undef ADD

  status = g_test_run ();
  g_clear_object (&large_store);
  if (large_dir != NULL)
    kc_test_rm_rf (large_dir);
  g_free (large_dir);
  return status;
}
