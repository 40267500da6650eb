"""What a real Aerospike 8.1.2 node's info answers hold: field names in its order, resting values.

Recorded from a Community 8.1.2.0 node with memory storage (the texts are in
``tests/fixtures/real-node``). The embedded server answers with these names in
this order; the figures it keeps (objects, truncate times, the namespace's
configuration) replace the resting values, every other counter reads 0.
"""

from __future__ import annotations

from typing import Final


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: ``namespace/<ns>``: the statistics, before the configuration
#: (``storage-engine.stripe[*]`` stands for the 8 stripes' figures of memory storage)
NAMESPACE_STATS: Final = _names(
    """
    ns_cluster_size effective_replication_factor objects tombstones xdr_tombstones
    xdr_bin_cemeteries mrt_provisionals master_objects master_tombstones prole_objects
    prole_tombstones non_replica_objects non_replica_tombstones unreplicated_records
    dead_partitions unavailable_partitions auto_revived_partitions clock_skew_stop_writes
    stop_writes hwm_breached current_time non_expirable_objects expired_objects
    evicted_objects evict_ttl evict_void_time smd_evict_void_time nsup_cycle_duration
    nsup_cycle_deleted_pct nsup_xdr_key_busy truncate_lut truncating sindex_gc_cleaned
    mrt_monitors mrt_monitors_active xmem_id index_used_bytes set_index_used_bytes
    sindex_used_bytes data_total_bytes data_used_bytes data_used_pct data_avail_pct
    data_compression_ratio storage-engine.stripe[*] record_proto_uncompressed_pct
    record_proto_compression_ratio query_proto_uncompressed_pct
    query_proto_compression_ratio pending_quiesce effective_is_quiesced nodes_quiesced
    effective_prefer_uniform_balance effective_active_rack migrate_tx_partitions_imbalance
    migrate_tx_instances migrate_rx_instances migrate_tx_partitions_active
    migrate_rx_partitions_active migrate_tx_partitions_initial
    migrate_tx_partitions_remaining migrate_tx_partitions_lead_remaining
    migrate_rx_partitions_initial migrate_rx_partitions_remaining migrate_records_skipped
    migrate_records_transmitted migrate_record_retransmits migrate_record_receives
    migrate_records_unreadable migrate_signals_active migrate_signals_remaining
    migrate_fresh_partitions appeals_tx_active appeals_rx_active appeals_tx_remaining
    appeals_records_exonerated client_tsvc_error client_tsvc_timeout client_proxy_complete
    client_proxy_error client_proxy_timeout client_read_success client_read_error
    client_read_timeout client_read_not_found client_read_filtered_out client_write_success
    client_write_error client_write_timeout client_write_filtered_out
    xdr_client_write_success xdr_client_write_error xdr_client_write_timeout
    client_delete_success client_delete_error client_delete_timeout client_delete_not_found
    client_delete_filtered_out xdr_client_delete_success xdr_client_delete_error
    xdr_client_delete_timeout xdr_client_delete_not_found client_udf_complete
    client_udf_error client_udf_timeout client_udf_filtered_out client_lang_read_success
    client_lang_write_success client_lang_delete_success client_lang_error
    from_proxy_tsvc_error from_proxy_tsvc_timeout from_proxy_read_success
    from_proxy_read_error from_proxy_read_timeout from_proxy_read_not_found
    from_proxy_read_filtered_out from_proxy_write_success from_proxy_write_error
    from_proxy_write_timeout from_proxy_write_filtered_out xdr_from_proxy_write_success
    xdr_from_proxy_write_error xdr_from_proxy_write_timeout from_proxy_delete_success
    from_proxy_delete_error from_proxy_delete_timeout from_proxy_delete_not_found
    from_proxy_delete_filtered_out xdr_from_proxy_delete_success xdr_from_proxy_delete_error
    xdr_from_proxy_delete_timeout xdr_from_proxy_delete_not_found from_proxy_udf_complete
    from_proxy_udf_error from_proxy_udf_timeout from_proxy_udf_filtered_out
    from_proxy_lang_read_success from_proxy_lang_write_success
    from_proxy_lang_delete_success from_proxy_lang_error batch_sub_tsvc_error
    batch_sub_tsvc_timeout batch_sub_proxy_complete batch_sub_proxy_error
    batch_sub_proxy_timeout batch_sub_read_success batch_sub_read_error
    batch_sub_read_timeout batch_sub_read_not_found batch_sub_read_filtered_out
    batch_sub_write_success batch_sub_write_error batch_sub_write_timeout
    batch_sub_write_filtered_out batch_sub_delete_success batch_sub_delete_error
    batch_sub_delete_timeout batch_sub_delete_not_found batch_sub_delete_filtered_out
    batch_sub_udf_complete batch_sub_udf_error batch_sub_udf_timeout
    batch_sub_udf_filtered_out batch_sub_lang_read_success batch_sub_lang_write_success
    batch_sub_lang_delete_success batch_sub_lang_error from_proxy_batch_sub_tsvc_error
    from_proxy_batch_sub_tsvc_timeout from_proxy_batch_sub_read_success
    from_proxy_batch_sub_read_error from_proxy_batch_sub_read_timeout
    from_proxy_batch_sub_read_not_found from_proxy_batch_sub_read_filtered_out
    from_proxy_batch_sub_write_success from_proxy_batch_sub_write_error
    from_proxy_batch_sub_write_timeout from_proxy_batch_sub_write_filtered_out
    from_proxy_batch_sub_delete_success from_proxy_batch_sub_delete_error
    from_proxy_batch_sub_delete_timeout from_proxy_batch_sub_delete_not_found
    from_proxy_batch_sub_delete_filtered_out from_proxy_batch_sub_udf_complete
    from_proxy_batch_sub_udf_error from_proxy_batch_sub_udf_timeout
    from_proxy_batch_sub_udf_filtered_out from_proxy_batch_sub_lang_read_success
    from_proxy_batch_sub_lang_write_success from_proxy_batch_sub_lang_delete_success
    from_proxy_batch_sub_lang_error udf_sub_tsvc_error udf_sub_tsvc_timeout
    udf_sub_udf_complete udf_sub_udf_error udf_sub_udf_timeout udf_sub_udf_filtered_out
    udf_sub_lang_read_success udf_sub_lang_write_success udf_sub_lang_delete_success
    udf_sub_lang_error ops_sub_tsvc_error ops_sub_tsvc_timeout ops_sub_write_success
    ops_sub_write_error ops_sub_write_timeout ops_sub_write_filtered_out dup_res_ask
    dup_res_respond_read dup_res_respond_no_read retransmit_all_read_dup_res
    retransmit_all_write_dup_res retransmit_all_delete_dup_res retransmit_all_udf_dup_res
    retransmit_all_batch_sub_read_dup_res retransmit_all_batch_sub_write_dup_res
    retransmit_all_batch_sub_delete_dup_res retransmit_all_batch_sub_udf_dup_res
    retransmit_udf_sub_dup_res retransmit_ops_sub_dup_res retransmit_all_read_repl_ping
    retransmit_all_batch_sub_read_repl_ping retransmit_all_write_repl_write
    retransmit_all_delete_repl_write retransmit_all_udf_repl_write
    retransmit_all_batch_sub_write_repl_write retransmit_all_batch_sub_delete_repl_write
    retransmit_all_batch_sub_udf_repl_write retransmit_udf_sub_repl_write
    retransmit_ops_sub_repl_write pi_query_short_basic_complete pi_query_short_basic_error
    pi_query_short_basic_timeout pi_query_long_basic_complete pi_query_long_basic_error
    pi_query_long_basic_abort pi_query_aggr_complete pi_query_aggr_error pi_query_aggr_abort
    pi_query_udf_bg_complete pi_query_udf_bg_error pi_query_udf_bg_abort
    pi_query_ops_bg_complete pi_query_ops_bg_error pi_query_ops_bg_abort
    si_query_short_basic_complete si_query_short_basic_error si_query_short_basic_timeout
    si_query_long_basic_complete si_query_long_basic_error si_query_long_basic_abort
    si_query_aggr_complete si_query_aggr_error si_query_aggr_abort si_query_udf_bg_complete
    si_query_udf_bg_error si_query_udf_bg_abort si_query_ops_bg_complete
    si_query_ops_bg_error si_query_ops_bg_abort geo_region_query_reqs geo_region_query_cells
    geo_region_query_points geo_region_query_falsepos read_touch_tsvc_error
    read_touch_tsvc_timeout read_touch_success read_touch_error read_touch_timeout
    read_touch_skip re_repl_tsvc_error re_repl_tsvc_timeout re_repl_success re_repl_error
    re_repl_timeout mrt_verify_read_success mrt_verify_read_error mrt_verify_read_timeout
    mrt_roll_forward_success mrt_roll_forward_error mrt_roll_forward_timeout
    mrt_monitor_roll_forward_success mrt_monitor_roll_forward_error
    mrt_monitor_roll_forward_timeout mrt_roll_back_success mrt_roll_back_error
    mrt_roll_back_timeout mrt_monitor_roll_back_success mrt_monitor_roll_back_error
    mrt_monitor_roll_back_timeout fail_xdr_forbidden fail_key_busy fail_xdr_key_busy
    fail_generation fail_record_too_big fail_client_lost_conflict fail_xdr_lost_conflict
    fail_mrt_blocked fail_mrt_version_mismatch deleted_last_bin
    mrt_monitor_roll_tombstone_creates ttl_reductions_ignored ttl_reductions_applied
    """
)
#: the figures of each stripe, ``storage-engine.stripe[<i>].<name>``
STRIPE_STATS: Final = _names("used_bytes free_wblocks writes defrag_q defrag_reads defrag_writes")
STRIPES: Final = 8
#: the statistics that do not rest at 0
NAMESPACE_RESTING: Final = {
    "clock_skew_stop_writes": "false",
    "stop_writes": "false",
    "hwm_breached": "false",
    "nsup_cycle_deleted_pct": "0.00",
    "truncating": "false",
    "data_compression_ratio": "1.000",
    "record_proto_uncompressed_pct": "0.000",
    "record_proto_compression_ratio": "1.000",
    "query_proto_uncompressed_pct": "0.000",
    "query_proto_compression_ratio": "1.000",
    "pending_quiesce": "false",
    "effective_is_quiesced": "false",
    "effective_prefer_uniform_balance": "false",
    "migrate_fresh_partitions": "4096",
}

#: ``get-config:context=namespace`` (and the end of ``namespace/<ns>``): a memory namespace's
#: defaults (nsup-period, default-ttl and the like are replaced by the namespace's own)
NAMESPACE_CONFIG: Final = (
    "active-rack=0;allow-ttl-without-nsup=false;apply-ttl-reductions=true;auto-revive=false;"
    "background-query-max-rps=10000;conflict-resolution-policy=generation;"
    "conflict-resolve-writes=false;default-read-touch-ttl-pct=0;default-ttl=0;"
    "disable-cold-start-eviction=false;disable-mrt-writes=false;disable-write-dup-res=false;"
    "disallow-expunge=false;disallow-null-setname=false;enable-benchmarks-batch-sub=false;"
    "enable-benchmarks-ops-sub=false;enable-benchmarks-read=false;"
    "enable-benchmarks-udf=false;enable-benchmarks-udf-sub=false;"
    "enable-benchmarks-write=false;enable-hist-proxy=false;evict-hist-buckets=10000;"
    "evict-indexes-memory-pct=0;evict-tenths-pct=5;force-long-queries=false;"
    "ignore-migrate-fill-delay=false;index-stage-size=1073741824;indexes-memory-budget=0;"
    "inline-short-queries=false;max-record-size=1048576;migrate-order=5;"
    "migrate-retransmit-ms=5000;migrate-skip-unreadable=false;migrate-sleep=1;mrt-duration=0;"
    "nsup-hist-period=3600;nsup-period=1;nsup-threads=1;partition-tree-sprigs=256;"
    "prefer-uniform-balance=false;rack-id=0;read-consistency-level-override=off;"
    "reject-non-xdr-writes=false;reject-xdr-writes=false;replication-factor=1;"
    "sindex-stage-size=1073741824;single-query-threads=4;stop-writes-sys-memory-pct=90;"
    "strong-consistency=false;strong-consistency-allow-expunge=false;"
    "tomb-raider-eligible-age=86400;tomb-raider-period=86400;tomb-raider-unmark-threads=0;"
    "transaction-pending-limit=20;truncate-threads=4;write-commit-level-override=off;"
    "xdr-bin-tombstone-ttl=86400;xdr-tomb-raider-period=120;xdr-tomb-raider-threads=1;"
    "geo2dsphere-within.strict=true;geo2dsphere-within.min-level=1;"
    "geo2dsphere-within.max-level=20;geo2dsphere-within.max-cells=12;"
    "geo2dsphere-within.level-mod=1;geo2dsphere-within.earth-radius-meters=6371000;"
    "index-type=mem;sindex-type=mem;storage-engine=memory;"
    "storage-engine.stripe[0]=stripe-0;storage-engine.stripe[1]=stripe-1;"
    "storage-engine.stripe[2]=stripe-2;storage-engine.stripe[3]=stripe-3;"
    "storage-engine.stripe[4]=stripe-4;storage-engine.stripe[5]=stripe-5;"
    "storage-engine.stripe[6]=stripe-6;storage-engine.stripe[7]=stripe-7;"
    "storage-engine.commit-to-device=false;storage-engine.compression=none;"
    "storage-engine.compression-acceleration=0;storage-engine.compression-level=0;"
    "storage-engine.data-size=1073741824;storage-engine.defrag-lwm-pct=50;"
    "storage-engine.defrag-queue-min=0;storage-engine.defrag-sleep=1000;"
    "storage-engine.defrag-startup-minimum=0;storage-engine.direct-files=false;"
    "storage-engine.disable-odsync=false;storage-engine.enable-benchmarks-storage=false;"
    "storage-engine.encryption-key-file=null;storage-engine.encryption-old-key-file=null;"
    "storage-engine.evict-used-pct=0;storage-engine.filesize=0;"
    "storage-engine.flush-max-ms=1000;storage-engine.max-write-cache=67108864;"
    "storage-engine.stop-writes-avail-pct=5;storage-engine.stop-writes-used-pct=70;"
    "storage-engine.tomb-raider-sleep=1000"
)

#: ``get-config:context=service`` (cluster-name and node-id are the node's own)
SERVICE_CONFIG: Final = (
    "advertise-ipv6=false;auto-pin=none;batch-index-threads=2;"
    "batch-max-buffers-per-queue=255;batch-max-requests=0;batch-max-unused-buffers=256;"
    "cgroup-mem-tracking=false;cluster-name=realas;debug-allocations=false;"
    "disable-udf-execution=false;enable-benchmarks-fabric=false;enable-health-check=false;"
    "enable-hist-info=false;enforce-best-practices=false;indent-allocations=false;"
    "info-max-ms=10000;info-threads=16;keep-caps-ssd-health=false;log-local-time=false;"
    "log-millis=false;microsecond-histograms=false;migrate-fill-delay=0;"
    "migrate-max-num-incoming=4;migrate-threads=1;min-cluster-size=1;node-id=A1;"
    "node-id-interface=null;os-group-perms=false;pidfile=null;"
    "poison-allocations=false;proto-fd-idle-ms=0;proto-fd-max=1024;quarantine-allocations=0;"
    "query-max-done=100;query-threads-limit=128;run-as-daemon=false;"
    "secrets-address-port=null;secrets-tls-context=null;secrets-uds-path=null;"
    "service-threads=2;sindex-builder-threads=4;sindex-gc-period=10;stay-quiesced=false;"
    "ticker-interval=10;tls-refresh-period=0;transaction-max-ms=1000;"
    "transaction-retry-ms=1002;vault-ca=null;vault-namespace=null;vault-path=null;"
    "vault-token-file=null;vault-url=null;work-directory=/opt/aerospike"
)

#: ``statistics``
STATISTICS: Final = _names(
    """
    failed_best_practices cluster_size cluster_key cluster_generation cluster_principal
    cluster_min_compatibility_id cluster_max_compatibility_id cluster_integrity
    cluster_is_member cluster_duplicate_nodes cluster_clock_skew_stop_writes_sec
    cluster_clock_skew_ms cluster_clock_skew_outliers uptime system_total_cpu_pct
    system_user_cpu_pct system_kernel_cpu_pct system_free_mem_kbytes system_free_mem_pct
    host_free_mem_kbytes host_free_mem_pct system_thp_mem_kbytes process_cpu_pct
    threads_joinable threads_detached threads_pool_total threads_pool_active
    heap_allocated_kbytes heap_active_kbytes heap_mapped_kbytes heap_efficiency_pct
    heap_site_count objects tombstones info_queue rw_in_progress proxy_in_progress
    tree_gc_queue client_connections client_connections_opened client_connections_closed
    admin_connections admin_connections_opened admin_connections_closed
    heartbeat_connections heartbeat_connections_opened heartbeat_connections_closed
    fabric_connections fabric_connections_opened fabric_connections_closed
    heartbeat_received_self heartbeat_received_foreign reaped_fds info_complete info_timeout
    demarshal_error early_tsvc_client_error early_tsvc_from_proxy_error
    early_tsvc_from_proxy_batch_sub_error long_queries_active batch_index_initiate
    batch_index_queue batch_index_complete batch_index_error batch_index_timeout
    batch_index_delay batch_index_unused_buffers batch_index_huge_buffers
    batch_index_created_buffers batch_index_destroyed_buffers
    batch_index_proto_uncompressed_pct batch_index_proto_compression_ratio paxos_principal
    time_since_rebalance migrate_allowed migrate_partitions_remaining fabric_bulk_send_rate
    fabric_bulk_recv_rate fabric_ctrl_send_rate fabric_ctrl_recv_rate fabric_meta_send_rate
    fabric_meta_recv_rate fabric_rw_send_rate fabric_rw_recv_rate deprecated_requests
    """
)
STATISTICS_RESTING: Final = {
    "failed_best_practices": "false",
    "cluster_key": "2152F101814A",
    "cluster_principal": "A1",
    "cluster_integrity": "true",
    "cluster_is_member": "true",
    "cluster_duplicate_nodes": "null",
    "cluster_clock_skew_outliers": "null",
    "batch_index_queue": "0:0,0:0",
    "batch_index_proto_uncompressed_pct": "0.000",
    "batch_index_proto_compression_ratio": "1.000",
    "paxos_principal": "A1",
    "migrate_allowed": "true",
}
