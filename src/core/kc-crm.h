/* kc-crm.h: the CRM beside the PBX: who a number is
 *
 * A lookup is a GET of a URL template (KERIO_LOOKUP_URL) whose {number} and
 * {extension} are replaced by the caller's number and the operator's
 * extension, each URL-escaped. The CRM answers JSON {"name": "...", "url":
 * "..."}: the customer's name and their card (other members are ignored);
 * 404, or an answer without a name, means no such customer. A lookup gives
 * up after KC_CRM_LOOKUP_TIMEOUT_MS. A CRM that cannot be reached, is slow,
 * or answers anything else is logged once, until a lookup works again.
 *
 * Only http and https URLs are taken, from the templates and from the
 * answers alike: an answer must not make the desktop open a file or
 * start a handler of another scheme.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KC_CRM_LOOKUP_TIMEOUT_MS 1500
/* Longer names are cut: a pop-up has a few lines */
#define KC_CRM_MAX_NAME_CHARS 120

#define KC_CRM_ERROR (kc_crm_error_quark ())

typedef enum
{
  KC_CRM_ERROR_TEMPLATE, /* not an http(s) URL template with {number} */
  KC_CRM_ERROR_FAILED,   /* the lookup failed; the message says why */
} KcCrmError;

GQuark    kc_crm_error_quark     (void);

/* TEMPLATE with {number} and {extension} replaced, each URL-escaped (NULL
 * counts as ""); NULL when the result is not an http(s) URL */
char     *kc_crm_expand_template (const char *template,
                                  const char *number,
                                  const char *extension);
/* Whether TEMPLATE is an http(s) URL with {number} in it */
gboolean  kc_crm_check_template  (const char  *template,
                                  GError     **error);
/* Whether URL is an absolute http or https URL with a host */
gboolean  kc_crm_is_web_url      (const char *url);

#define KC_TYPE_CRM (kc_crm_get_type ())
G_DECLARE_FINAL_TYPE (KcCrm, kc_crm, KC, CRM, GObject)

/* lookup_template must pass kc_crm_check_template() */
KcCrm    *kc_crm_new             (const char *lookup_template);

/* Looks NUMBER up. Finishes with TRUE and *name NULL when the CRM knows no
 * such customer; *url is the customer's card (http or https, resolved
 * against the lookup's URL), or NULL. */
void      kc_crm_lookup_async    (KcCrm               *self,
                                  const char          *number,
                                  const char          *extension,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data);
gboolean  kc_crm_lookup_finish   (KcCrm         *self,
                                  GAsyncResult  *result,
                                  char         **name,
                                  char         **url,
                                  GError       **error);

G_END_DECLS
