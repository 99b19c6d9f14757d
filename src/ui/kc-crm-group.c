/* kc-crm-group.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-crm-group"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "core/kc-crm.h"
#include "kc-crm-group.h"
#include "kc-entry-rows.h"

struct _KcCrmGroup
{
  AdwPreferencesGroup  parent_instance;

  GSettings           *settings;

  AdwEntryRow         *lookup_row;
  AdwEntryRow         *page_row;
  AdwPreferencesRow   *error_row;
  GtkLabel            *error_label;
  AdwEntryRow         *error_of; /* the row the error is about */
};

G_DEFINE_FINAL_TYPE (KcCrmGroup, kc_crm_group, ADW_TYPE_PREFERENCES_GROUP)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *
row_key (KcCrmGroup  *self,
         AdwEntryRow *row)
{
  return row == self->lookup_row ? "lookup-url" : "crm-url";
}

static char *
entered_text (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

static void
set_error (KcCrmGroup  *self,
           AdwEntryRow *row,
           const char  *message)
{
  if (self->error_of != NULL && (message != NULL || self->error_of == row))
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->error_of), "error");
      gtk_accessible_reset_relation (GTK_ACCESSIBLE (self->error_of),
                                     GTK_ACCESSIBLE_RELATION_DESCRIBED_BY);
      self->error_of = NULL;
    }
  if (message != NULL)
    {
      gtk_label_set_text (self->error_label, message);
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      gtk_accessible_update_relation (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                      self->error_label, NULL, -1);
      self->error_of = row;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->error_row), self->error_of != NULL);
}

/* NULL when TEXT may be saved (empty is none), else why not */
static char *
address_problem (const char *text)
{
  g_autoptr (GError) error = NULL;

  if (*text == '\0' || kc_crm_check_template (text, &error))
    return NULL;
  /* TRANSLATORS: the reason says what is wrong with the address */
  return g_strdup_printf (_("Enter an http:// or https:// address with {number} in it, such as "
                            "https://crm.example.uz/find?phone={number}: %s"),
                          error->message);
}

static void
save_row (KcCrmGroup  *self,
          AdwEntryRow *row)
{
  g_autofree char *text = entered_text (row);
  g_autofree char *problem = address_problem (text);
  g_autofree char *saved = NULL;

  set_error (self, row, problem);
  if (problem != NULL)
    return;
  saved = g_settings_get_string (self->settings, row_key (self, row));
  if (strcmp (saved, text) == 0)
    return;
  g_settings_set_string (self->settings, row_key (self, row), text);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
row_applied_cb (KcCrmGroup  *self,
                AdwEntryRow *row)
{
  if (self->settings != NULL)
    save_row (self, row);
}

/* An error shown goes as soon as the text is right; a new one waits for
 * apply, not to nag while typing */
static void
row_changed_cb (KcCrmGroup  *self,
                AdwEntryRow *row)
{
  g_autofree char *text = NULL;
  g_autofree char *problem = NULL;

  if (self->settings == NULL || self->error_of != row)
    return;
  text = entered_text (row);
  problem = address_problem (text);
  if (problem == NULL)
    set_error (self, row, NULL);
}

static gboolean
has_unsaved_text (KcCrmGroup  *self,
                  AdwEntryRow *row)
{
  g_autofree char *text = entered_text (row);
  g_autofree char *saved = g_settings_get_string (self->settings, row_key (self, row));

  return strcmp (text, saved) != 0;
}

/* Leaving a row applies its edit, as in the rest of the window */
static void
row_left_cb (gpointer     owner,
             AdwEntryRow *row)
{
  KcCrmGroup *self = owner;

  if (self->settings != NULL && has_unsaved_text (self, row))
    kc_entry_row_take_edit (row);
}

void
kc_crm_group_set_settings (KcCrmGroup *self,
                           GSettings  *settings)
{
  AdwEntryRow *rows[] = { self->lookup_row, self->page_row };

  g_return_if_fail (KC_IS_CRM_GROUP (self));

  g_set_object (&self->settings, settings);
  if (settings == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *saved = g_settings_get_string (settings, row_key (self, rows[i]));

      gtk_editable_set_text (GTK_EDITABLE (rows[i]), saved);
    }
}

void
kc_crm_group_save (KcCrmGroup *self)
{
  AdwEntryRow *rows[] = { self->lookup_row, self->page_row };

  g_return_if_fail (KC_IS_CRM_GROUP (self));

  if (self->settings == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    if (has_unsaved_text (self, rows[i]))
      save_row (self, rows[i]);
}

static void
kc_crm_group_dispose (GObject *object)
{
  KcCrmGroup *self = KC_CRM_GROUP (object);

  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), KC_TYPE_CRM_GROUP);

  G_OBJECT_CLASS (kc_crm_group_parent_class)->dispose (object);
}

static void
kc_crm_group_class_init (KcCrmGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kc_crm_group_dispose;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/uz/kerio/Cti/kc-crm-group.ui");
  gtk_widget_class_bind_template_child (widget_class, KcCrmGroup, lookup_row);
  gtk_widget_class_bind_template_child (widget_class, KcCrmGroup, page_row);
  gtk_widget_class_bind_template_child (widget_class, KcCrmGroup, error_row);
  gtk_widget_class_bind_template_child (widget_class, KcCrmGroup, error_label);
  gtk_widget_class_bind_template_callback (widget_class, row_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_changed_cb);
}

static void
kc_crm_group_init (KcCrmGroup *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  kc_entry_row_watch_left (self->lookup_row, row_left_cb, self);
  kc_entry_row_watch_left (self->page_row, row_left_cb, self);
}
