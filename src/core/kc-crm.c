/* kc-crm.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-crm"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "kc-crm.h"

/* An answer is a name and a link; anything much bigger is not one */
#define MAX_ANSWER_BYTES (64 * 1024)

struct _KcCrm
{
  GObject      parent_instance;

  char        *lookup_template;
  SoupSession *session;
  /* A lookup failed, and none worked since: said once */
  gboolean     failing;
};

G_DEFINE_FINAL_TYPE (KcCrm, kc_crm, G_TYPE_OBJECT)

G_DEFINE_QUARK (kc-crm-error-quark, kc_crm_error)

gboolean
kc_crm_is_web_url (const char *url)
{
  g_autoptr (GUri) uri = NULL;
  const char *scheme;
  const char *host;

  if (url == NULL)
    return FALSE;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;
  /* GUri gives the scheme in lower case */
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  return (g_strcmp0 (scheme, "http") == 0 || g_strcmp0 (scheme, "https") == 0) && host != NULL &&
         *host != '\0';
}

static void
append_escaped (GString    *out,
                const char *value)
{
  g_autofree char *escaped = g_uri_escape_string (value ? value : "", NULL, FALSE);

  g_string_append (out, escaped);
}

char *
kc_crm_expand_template (const char *template,
                        const char *number,
                        const char *extension)
{
  g_autoptr (GString) url = g_string_new (NULL);

  g_return_val_if_fail (template != NULL, NULL);

  /* Escaped whole ("+" is %2B, which a query would read as a space), so a
   * number cannot add a path, a query or a host of its own */
  for (const char *p = template; *p != '\0';)
    {
      if (g_str_has_prefix (p, "{number}"))
        {
          append_escaped (url, number);
          p += strlen ("{number}");
        }
      else if (g_str_has_prefix (p, "{extension}"))
        {
          append_escaped (url, extension);
          p += strlen ("{extension}");
        }
      else
        g_string_append_c (url, *p++);
    }
  if (!kc_crm_is_web_url (url->str))
    return NULL;
  return g_string_free (g_steal_pointer (&url), FALSE);
}

gboolean
kc_crm_check_template (const char  *template,
                       GError     **error)
{
  g_autofree char *sample = NULL;
  g_autofree char *other = NULL;
  g_autoptr (GUri) a = NULL;
  g_autoptr (GUri) b = NULL;

  if (template == NULL || strstr (template, "{number}") == NULL)
    {
      g_set_error_literal (error, KC_CRM_ERROR, KC_CRM_ERROR_TEMPLATE,
                           _("the address has no {number} in it"));
      return FALSE;
    }
  sample = kc_crm_expand_template (template, "+998901234567", "1001");
  other = kc_crm_expand_template (template, "1", "2");
  if (sample == NULL || other == NULL)
    {
      g_set_error_literal (error, KC_CRM_ERROR, KC_CRM_ERROR_TEMPLATE,
                           _("it is not an http:// or https:// address"));
      return FALSE;
    }
  /* The number goes to a fixed server, whatever it is */
  a = g_uri_parse (sample, G_URI_FLAGS_NONE, NULL);
  b = g_uri_parse (other, G_URI_FLAGS_NONE, NULL);
  if (g_strcmp0 (g_uri_get_host (a), g_uri_get_host (b)) != 0 ||
      g_uri_get_port (a) != g_uri_get_port (b))
    {
      g_set_error_literal (error, KC_CRM_ERROR, KC_CRM_ERROR_TEMPLATE,
                           _("{number} may not be in the server's name"));
      return FALSE;
    }
  return TRUE;
}

/* One line of text: the name goes into a pop-up and a table cell */
static char *
clean_name (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  g_autoptr (GString) name = g_string_new (NULL);

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_LINE_SEPARATOR ||
          g_unichar_type (c) == G_UNICODE_PARAGRAPH_SEPARATOR)
        c = ' ';
      g_string_append_unichar (name, c);
    }
  g_strstrip (name->str);
  if (g_utf8_strlen (name->str, -1) > KC_CRM_MAX_NAME_CHARS)
    {
      g_autofree char *cut = g_utf8_substring (name->str, 0, KC_CRM_MAX_NAME_CHARS - 1);

      return g_strconcat (g_strchomp (cut), "…", NULL);
    }
  if (name->str[0] == '\0')
    return NULL;
  return g_string_free (g_steal_pointer (&name), FALSE);
}

typedef struct
{
  char         *url;
  GCancellable *cancellable; /* ours: the caller's, or the time running out */
  GCancellable *outer;
  gulong        outer_id;
  guint         timeout_id;
  gboolean      timed_out;
  char         *name;
  char         *card;
} Lookup;

static void
lookup_free (Lookup *lookup)
{
  g_clear_handle_id (&lookup->timeout_id, g_source_remove);
  if (lookup->outer != NULL)
    g_cancellable_disconnect (lookup->outer, lookup->outer_id);
  g_clear_object (&lookup->outer);
  g_clear_object (&lookup->cancellable);
  g_free (lookup->url);
  g_free (lookup->name);
  g_free (lookup->card);
  g_free (lookup);
}

static gboolean
on_timeout (gpointer data)
{
  Lookup *lookup = data;

  lookup->timeout_id = 0;
  lookup->timed_out = TRUE;
  g_cancellable_cancel (lookup->cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_outer_cancelled (GCancellable *outer,
                    gpointer      data)
{
  g_cancellable_cancel (data);
}

/* The answer's card: http(s) only, a relative one against the lookup's URL */
static char *
card_url (const char *lookup_url,
          const char *url)
{
  g_autofree char *resolved = NULL;

  if (url == NULL || *url == '\0')
    return NULL;
  resolved = g_uri_resolve_relative (lookup_url, url, G_URI_FLAGS_NONE, NULL);
  if (!kc_crm_is_web_url (resolved))
    {
      g_debug ("The CRM's card %s is not an http(s) address; left out", url);
      return NULL;
    }
  return g_steal_pointer (&resolved);
}

static const char *
string_member (JsonObject *object,
               const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
read_answer (Lookup        *lookup,
             SoupMessage   *msg,
             GBytes        *body,
             GError       **error)
{
  guint status = soup_message_get_status (msg);
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize size;
  const char *data = g_bytes_get_data (body, &size);
  JsonNode *root;
  JsonObject *object;

  /* No such customer */
  if (status == SOUP_STATUS_NOT_FOUND)
    return TRUE;
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_set_error (error, KC_CRM_ERROR, KC_CRM_ERROR_FAILED, _("The CRM answered HTTP %u %s"),
                   status, soup_message_get_reason_phrase (msg));
      return FALSE;
    }
  if (size > MAX_ANSWER_BYTES || size == 0 ||
      !json_parser_load_from_data (parser, data, (gssize) size, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, KC_CRM_ERROR, KC_CRM_ERROR_FAILED,
                           _("The CRM's answer is not a JSON object"));
      return FALSE;
    }
  object = json_node_get_object (root);
  if (string_member (object, "name") != NULL)
    lookup->name = clean_name (string_member (object, "name"));
  lookup->card = card_url (lookup->url, string_member (object, "url"));
  return TRUE;
}

static void
lookup_failed (KcCrm  *self,
               GTask  *task,
               GError *error)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !self->failing)
    {
      g_message ("CRM lookups fail, pop-ups show the number alone: %s", error->message);
      self->failing = TRUE;
    }
  g_task_return_error (task, error);
}

static void
on_answered (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  KcCrm *self = g_task_get_source_object (task);
  Lookup *lookup = g_task_get_task_data (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GBytes) body = NULL;
  GError *error = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_clear_handle_id (&lookup->timeout_id, g_source_remove);
  if (body == NULL)
    {
      if (lookup->timed_out)
        {
          g_clear_error (&error);
          error = g_error_new (KC_CRM_ERROR, KC_CRM_ERROR_FAILED,
                               _("The CRM did not answer within %.1f s"),
                               KC_CRM_LOOKUP_TIMEOUT_MS / 1000.0);
        }
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          GError *cause = error;

          error = g_error_new (KC_CRM_ERROR, KC_CRM_ERROR_FAILED,
                               _("The CRM cannot be reached: %s"), cause->message);
          g_error_free (cause);
        }
      lookup_failed (self, task, error);
      return;
    }
  if (!read_answer (lookup, msg, body, &error))
    {
      lookup_failed (self, task, error);
      return;
    }
  if (self->failing)
    g_message ("CRM lookups work again");
  self->failing = FALSE;
  g_task_return_boolean (task, TRUE);
}

void
kc_crm_lookup_async (KcCrm               *self,
                     const char          *number,
                     const char          *extension,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  Lookup *lookup;

  g_return_if_fail (KC_IS_CRM (self));
  g_return_if_fail (number != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_crm_lookup_async);
  lookup = g_new0 (Lookup, 1);
  g_task_set_task_data (task, lookup, (GDestroyNotify) lookup_free);
  lookup->url = kc_crm_expand_template (self->lookup_template, number, extension);
  if (lookup->url == NULL || (msg = soup_message_new (SOUP_METHOD_GET, lookup->url)) == NULL)
    {
      g_task_return_new_error (task, KC_CRM_ERROR, KC_CRM_ERROR_TEMPLATE,
                               _("The CRM lookup address is not an http(s) address"));
      return;
    }
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                "application/json");

  lookup->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      lookup->outer = g_object_ref (cancellable);
      lookup->outer_id = g_cancellable_connect (cancellable, G_CALLBACK (on_outer_cancelled),
                                                lookup->cancellable, NULL);
    }
  lookup->timeout_id = g_timeout_add (KC_CRM_LOOKUP_TIMEOUT_MS, on_timeout, lookup);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, lookup->cancellable,
                                    on_answered, g_steal_pointer (&task));
}

gboolean
kc_crm_lookup_finish (KcCrm         *self,
                      GAsyncResult  *result,
                      char         **name,
                      char         **url,
                      GError       **error)
{
  Lookup *lookup;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  lookup = g_task_get_task_data (G_TASK (result));
  if (name != NULL)
    *name = g_steal_pointer (&lookup->name);
  if (url != NULL)
    *url = g_steal_pointer (&lookup->card);
  return TRUE;
}

static void
kc_crm_finalize (GObject *object)
{
  KcCrm *self = KC_CRM (object);

  g_clear_object (&self->session);
  g_free (self->lookup_template);

  G_OBJECT_CLASS (kc_crm_parent_class)->finalize (object);
}

static void
kc_crm_class_init (KcCrmClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kc_crm_finalize;
}

static void
kc_crm_init (KcCrm *self)
{
}

KcCrm *
kc_crm_new (const char *lookup_template)
{
  KcCrm *self;

  g_return_val_if_fail (lookup_template != NULL, NULL);

  self = g_object_new (KC_TYPE_CRM, NULL);
  self->lookup_template = g_strdup (lookup_template);
  self->session = soup_session_new_with_options ("user-agent", "kerio-cti/" PACKAGE_VERSION,
                                                 NULL);
  return self;
}
