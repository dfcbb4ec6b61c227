"""One pipeline for every source of orders (``crm_sync.sources``): it does not know which
source fed it. Top to bottom, for each batch the source yields (``run.run_pipeline``):

1. *Plan* (``plan``): classify each order against what we last saw (``AmazonOrderState``):
   new, pending-now-complete ("fill"), status changed, touched without a change we map, or
   unchanged.
2. *Items* (``items``): fetch them only for new and fill orders, and only if the source did
   not include them (one call per order; Amazon has no batch).
3. *Stage* (``stage``): map (pure functions in ``crm_sync.mapping``) and save as typed
   ``StagedRecord`` rows the records that differ from what Zoho holds; money stays Decimal.

Then, at the end and every SYNC_FLUSH_SECONDS:

4. *Write* (``write``): products, then contacts, then orders, in full batches of 100 so each
   record is written once per run. A sales order's lookups are resolved to Zoho ids by a
   pure function (``lookups``) just before it is written. A flush before the end writes
   full batches only; what does not fill one, and the orders whose product or contact is
   still staged, wait (at most SYNC_PARTIAL_WRITE_SECONDS).
5. *Checkpoint* (``checkpoint``): each batch's links, order states, Order History
   (``events``) and counts commit in one transaction with the removal of its staged rows.
6. The source is told which orders failed (it holds its cursor before them) and then
   commits its position once no order waits staged (a backfill: up to the chunk before the
   first that does): only what is checkpointed is ever behind the cursor.

Crash safety: staged rows and checkpoints survive a dead worker; the redelivered task (or
the next run) re-reads from the source's old position, skips what was checkpointed and
writes the rest. Zoho writes are upserts keyed on unique fields (ASIN No, Amazon Buyer
Email, Amazon Order ID), so a batch Zoho accepted just before the crash updates instead of
duplicating; an order write that may have reached Zoho twice (an upsert that unexpectedly
*updated*, a retried call, a dead attempt's write in flight) is read back once anything in
flight has landed and repaired to exactly Amazon's lines and total (``verify``); and Order
History is unique per (order, action, Amazon's LastUpdateDate).
"""

from crm_sync.pipeline.job import Counts, SyncJob
from crm_sync.pipeline.run import run_pipeline

__all__ = ["Counts", "SyncJob", "run_pipeline"]
