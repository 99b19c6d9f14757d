/* kc-kerio-types.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-kerio"

#include "kc-kerio-types.h"

/* Kerio never published the value set of a live call's STATUS. Appliances
 * send "0" while a call rings and "1" once it is up (public integrations
 * read it so, as a string or a number); the words are those Kerio's SDK
 * sample and other firmware have been seen to use. */
static const char *const connected_words[] = { "1", "up", "answered", "connected", "talking" };
static const char *const ringing_words[] = { "0", "ringing", "ring" };

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

static gboolean
is_one_of (const char        *word,
           const char *const *words,
           guint              n_words)
{
  for (guint i = 0; i < n_words; i++)
    if (g_ascii_strcasecmp (word, words[i]) == 0)
      return TRUE;
  return FALSE;
}

KcLiveStatus
kc_active_call_get_status (const KcActiveCall *call)
{
  g_autofree char *word = NULL;

  g_return_val_if_fail (call != NULL, KC_LIVE_STATUS_MISSING);

  if (call->status == NULL)
    return KC_LIVE_STATUS_MISSING;
  word = g_strstrip (g_strdup (call->status));
  if (is_one_of (word, connected_words, G_N_ELEMENTS (connected_words)))
    return KC_LIVE_STATUS_CONNECTED;
  if (is_one_of (word, ringing_words, G_N_ELEMENTS (ringing_words)))
    return KC_LIVE_STATUS_RINGING;
  /* "4" among them: the history's code for an answered call, and Asterisk's
   * channel state Ring; no source reads it as up in a live row */
  return KC_LIVE_STATUS_UNKNOWN;
}

gboolean
kc_active_call_is_connected (const KcActiveCall *call)
{
  g_return_val_if_fail (call != NULL, FALSE);

  return call->answered_duration > 0
         || kc_active_call_get_status (call) == KC_LIVE_STATUS_CONNECTED;
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

void
kc_directory_entry_free (KcDirectoryEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->number);
  g_free (entry->name);
  g_free (entry);
}
