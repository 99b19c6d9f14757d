/* fuzz-call-tracker.c: Status.getCalls answers through the parser and the
 * tracker's diff
 *
 * The input is a selector byte, then two response bodies separated by a blank
 * line (or one body used twice). Each is parsed, mapped to active calls and applied as a snapshot to
 * a tracker whose client is never started; an empty snapshot then ends every
 * call. The selector picks the operator's extension rule (bits 0-1: none,
 * "1001", an outside number, empty; bit 2: 3 or 4 extension digits) and the
 * gap between the polls in seconds (bits 3-7).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "core/kc-call-tracker.h"
#include "kerio/kc-kerio-parse.h"

#include "fuzz-common.h"

#define NOW G_GINT64_CONSTANT (1735732800)

static KcKerioClient *client;

static void
on_new_call (KcCallTracker *tracker,
             KcCall        *call,
             gpointer       user_data)
{
  kc_fuzz_assert (KC_IS_CALL (call));
  kc_fuzz_assert (kc_call_get_call_id (call) != NULL && *kc_call_get_call_id (call) != '\0');
}

static void
on_state_changed (KcCallTracker *tracker,
                  KcCall        *call,
                  int            old_state,
                  gpointer       user_data)
{
  kc_fuzz_assert (KC_IS_CALL (call));
  kc_fuzz_assert (kc_call_get_state (call) != (KcCallState) old_state);
}

static GPtrArray *
parse_snapshot (const uint8_t *data,
                size_t         size)
{
  g_autoptr (JsonNode) result = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *calls;

  result = kc_kerio_parse_response ((const char *) data, size, &error);
  if (result == NULL)
    return NULL;
  calls = kc_kerio_parse_active_calls (result, &error);
  kc_fuzz_assert ((calls != NULL) != (error != NULL));
  return calls;
}

static void
apply (KcCallTracker *tracker,
       GPtrArray     *calls,
       gint64         now)
{
  GListModel *model = kc_call_tracker_get_calls (tracker);
  guint n;

  kc_call_tracker_apply_snapshot (tracker, calls, now);

  /* The model holds only live calls, each once */
  n = g_list_model_get_n_items (model);
  kc_fuzz_assert (n <= calls->len);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (KcCall) call = g_list_model_get_item (model, i);
      KcCallState state = kc_call_get_state (call);

      kc_fuzz_assert (state == KC_CALL_STATE_RINGING || state == KC_CALL_STATE_TALKING);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char *const extensions[] = { NULL, "1001", "+998901234567", "" };
  g_autoptr (KcCallTracker) tracker = NULL;
  g_autoptr (GPtrArray) first = NULL;
  g_autoptr (GPtrArray) second = NULL;
  g_autoptr (GPtrArray) none = NULL;
  const uint8_t *split;
  guint8 selector;
  gint64 gap;

  kc_fuzz_init ();
  if (client == NULL)
    {
      g_autoptr (GUri) endpoint = g_uri_parse ("https://127.0.0.1:4021/admin/api/jsonrpc/",
                                               G_URI_FLAGS_NONE, NULL);

      client = kc_kerio_client_new (endpoint, "fuzz", "fuzz");
    }

  if (size == 0)
    return 0;
  selector = data[0];
  data++;
  size--;
  /* 0..31 s between polls: a jitter of a second, or a missed poll */
  gap = selector >> 3;

  tracker = kc_call_tracker_new (client, 1.0, extensions[selector & 3], 3 + ((selector >> 2) & 1));
  g_signal_connect (tracker, "incoming-call", G_CALLBACK (on_new_call), NULL);
  g_signal_connect (tracker, "outgoing-call", G_CALLBACK (on_new_call), NULL);
  g_signal_connect (tracker, "call-state-changed", G_CALLBACK (on_state_changed), NULL);

  split = size > 0 ? memmem (data, size, "\n\n", 2) : NULL;
  if (split != NULL)
    {
      first = parse_snapshot (data, (size_t) (split - data));
      second = parse_snapshot (split + 2, size - (size_t) (split - data) - 2);
    }
  else
    {
      first = parse_snapshot (data, size);
      second = first != NULL ? g_ptr_array_ref (first) : NULL;
    }

  none = g_ptr_array_new ();
  if (first != NULL)
    apply (tracker, first, NOW);
  if (second != NULL)
    apply (tracker, second, NOW + gap);
  apply (tracker, none, NOW + 2 * gap);
  kc_fuzz_assert (g_list_model_get_n_items (kc_call_tracker_get_calls (tracker)) == 0);
  return 0;
}
