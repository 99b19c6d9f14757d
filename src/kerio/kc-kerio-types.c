/* kc-kerio-types.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-kerio"

#include "kc-kerio-types.h"

/* Kerio never published the value set of a live call's STATUS; these are the
 * words firmware and integrations have been seen to use for a talking call. */
static const char *const answered_words[] = { "answered", "up", "connected", "talking" };

void
kc_active_call_free (KcActiveCall *call)
{
  if (call == NULL)
    return;
  g_free (call->id);
  g_free (call->from_number);
  g_free (call->from_name);
  g_free (call->to_number);
  g_free (call->to_name);
  g_free (call->status);
  g_free (call);
}

gboolean
kc_active_call_is_answered_status (const char *status)
{
  g_autofree char *word = NULL;

  if (status == NULL)
    return FALSE;
  word = g_strstrip (g_strdup (status));
  if (g_strcmp0 (word, "1") == 0)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (answered_words); i++)
    if (g_ascii_strcasecmp (word, answered_words[i]) == 0)
      return TRUE;
  return FALSE;
}

KcLiveStatus
kc_active_call_get_status (const KcActiveCall *call)
{
  if (call->status == NULL)
    return KC_LIVE_STATUS_MISSING;
  if (kc_active_call_is_answered_status (call->status))
    return KC_LIVE_STATUS_CONNECTED;
  if (g_ascii_strcasecmp (call->status, "0") == 0 || g_ascii_strcasecmp (call->status, "ringing") == 0)
    return KC_LIVE_STATUS_RINGING;
  return KC_LIVE_STATUS_UNKNOWN;
}

gboolean
kc_active_call_is_connected (const KcActiveCall *call)
{
  g_return_val_if_fail (call != NULL, FALSE);

  return call->answered_duration > 0 || kc_active_call_is_answered_status (call->status);
}

void
kc_cdr_free (KcCdr *cdr)
{
  if (cdr == NULL)
    return;
  g_free (cdr->id);
  g_free (cdr->from_number);
  g_free (cdr->from_name);
  g_free (cdr->to_number);
  g_free (cdr->to_name);
  g_free (cdr);
}

KcCdr *
kc_cdr_copy (const KcCdr *cdr)
{
  KcCdr *copy;

  g_return_val_if_fail (cdr != NULL, NULL);

  copy = g_memdup2 (cdr, sizeof *cdr);
  copy->id = g_strdup (cdr->id);
  copy->from_number = g_strdup (cdr->from_number);
  copy->from_name = g_strdup (cdr->from_name);
  copy->to_number = g_strdup (cdr->to_number);
  copy->to_name = g_strdup (cdr->to_name);
  return copy;
}

void
kc_recording_free (KcRecording *recording)
{
  if (recording == NULL)
    return;
  g_free (recording->id);
  g_free (recording->name);
  g_free (recording->extension);
  g_free (recording->caller_id);
  g_free (recording);
}

void
kc_file_download_free (KcFileDownload *download)
{
  if (download == NULL)
    return;
  g_free (download->url);
  g_free (download->name);
  g_free (download);
}
