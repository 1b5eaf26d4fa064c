/** Definition and data; definition only (no rows, no sequence values); data only (no DDL). A leaf module: the webviews' protocols use it too. */
export type RestoreMode = 'definition-and-data' | 'definition-only' | 'data-only';
