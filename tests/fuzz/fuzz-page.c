/* fuzz-page.c: the one-pass page readers against json-glib's tree
 *
 * Differential: for any body, kc_kerio_parse_cdr_page(),
 * kc_kerio_parse_recording_page() and kc_kerio_parse_call_page() must give
 * what kc_kerio_parse_response() followed by kc_kerio_parse_cdrs()
 * (parse_recordings(), parse_active_calls()) gives: the
 * same rows field by field and the same total, or the same error. Where the
 * one-pass reader answers by itself (kc_kerio_stream_*_page), json-glib must
 * have accepted the body too. Both match member names without regard to
 * case; a name given twice in two spellings is the tree's to read.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kerio/kc-kerio-error.h"
#include "kerio/kc-kerio-parse.h"

#include "fuzz-common.h"

typedef struct
{
  const char *rows_member;
  KcKerioPageAnswer *(*stream) (const char *body, gsize length);
  KcKerioPageAnswer *(*parse) (const char *body, gsize length, GError **error);
  GPtrArray *(*parse_tree) (JsonNode *result, gint64 *total_items, GError **error);
  gboolean (*row_equal) (gconstpointer a, gconstpointer b);
  gboolean has_total;
} Kind;

static gboolean
cdr_equal (gconstpointer a,
           gconstpointer b)
{
  const KcCdr *x = a, *y = b;

  return g_strcmp0 (x->id, y->id) == 0 && x->timestamp == y->timestamp
         && g_strcmp0 (x->from_number, y->from_number) == 0
         && g_strcmp0 (x->from_name, y->from_name) == 0
         && g_strcmp0 (x->to_number, y->to_number) == 0
         && g_strcmp0 (x->to_name, y->to_name) == 0 && x->status == y->status
         && x->call_duration == y->call_duration && x->answered_duration == y->answered_duration;
}

static gboolean
recording_equal (gconstpointer a,
                 gconstpointer b)
{
  const KcRecording *x = a, *y = b;

  return g_strcmp0 (x->id, y->id) == 0 && g_strcmp0 (x->name, y->name) == 0
         && g_strcmp0 (x->extension, y->extension) == 0
         && g_strcmp0 (x->caller_id, y->caller_id) == 0 && x->duration == y->duration
         && x->started == y->started;
}

static gboolean
call_equal (gconstpointer a,
            gconstpointer b)
{
  const KcActiveCall *x = a, *y = b;

  return g_strcmp0 (x->id, y->id) == 0 && g_strcmp0 (x->from_number, y->from_number) == 0
         && g_strcmp0 (x->from_name, y->from_name) == 0
         && g_strcmp0 (x->to_number, y->to_number) == 0
         && g_strcmp0 (x->to_name, y->to_name) == 0 && g_strcmp0 (x->status, y->status) == 0
         && x->answered_duration == y->answered_duration && x->call_duration == y->call_duration;
}

static GPtrArray *
parse_active_calls (JsonNode  *result,
                    gint64    *total_items,
                    GError   **error)
{
  return kc_kerio_parse_active_calls (result, error);
}

static const Kind kinds[] = {
  { "callHistory", kc_kerio_stream_cdr_page, kc_kerio_parse_cdr_page, kc_kerio_parse_cdrs,
    cdr_equal, TRUE },
  { "recordingList", kc_kerio_stream_recording_page, kc_kerio_parse_recording_page,
    kc_kerio_parse_recordings, recording_equal, TRUE },
  { "calls", kc_kerio_stream_call_page, kc_kerio_parse_call_page, parse_active_calls,
    call_equal, FALSE },
};

static void
assert_same_rows (const Kind *kind,
                  GPtrArray  *rows,
                  GPtrArray  *expected)
{
  kc_fuzz_assert (rows->len == expected->len);
  for (guint i = 0; i < rows->len; i++)
    kc_fuzz_assert (kind->row_equal (g_ptr_array_index (rows, i),
                                     g_ptr_array_index (expected, i)));
}

static void
check_kind (const Kind    *kind,
            const uint8_t *data,
            size_t         size)
{
  g_autoptr (KcKerioPageAnswer) streamed = kind->stream ((const char *) data, size);
  g_autoptr (KcKerioPageAnswer) page = NULL;
  g_autoptr (JsonNode) result = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) page_error = NULL;
  gint64 total = -1;

  result = kc_kerio_parse_response ((const char *) data, size, &error);
  if (result != NULL)
    rows = kind->parse_tree (result, &total, &error);

  page = kind->parse ((const char *) data, size, &page_error);
  kc_fuzz_assert ((page == NULL) == (rows == NULL));
  kc_fuzz_assert ((page == NULL) == (page_error != NULL));
  if (rows == NULL)
    {
      /* Never something json-glib refuses */
      kc_fuzz_assert (streamed == NULL);
      kc_fuzz_assert (page_error->domain == error->domain && page_error->code == error->code);
      kc_fuzz_assert (g_strcmp0 (page_error->message, error->message) == 0);
      return;
    }

  assert_same_rows (kind, page->rows, rows);
  kc_fuzz_assert (!kind->has_total || page->total_items == total);
  if (streamed != NULL)
    {
      JsonObject *object = json_node_get_object (result);
      JsonArray *raw = json_node_get_array (kc_kerio_json_get_member (object, kind->rows_member));

      assert_same_rows (kind, streamed->rows, rows);
      kc_fuzz_assert (!kind->has_total || streamed->total_items == total);
      kc_fuzz_assert (streamed->total_known
                      == kc_kerio_json_get_int (object, "totalItems", NULL));
      kc_fuzz_assert (streamed->n_raw == json_array_get_length (raw));
      kc_fuzz_assert ((streamed->first_row != NULL) == (streamed->n_raw > 0));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  kc_fuzz_init ();

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    check_kind (&kinds[i], data, size);
  return 0;
}
