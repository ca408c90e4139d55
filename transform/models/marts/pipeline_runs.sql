with

runs as (

    select * from {{ ref('stg_greenhouse__elt_runs') }}

),

final as (

    select
        source_relation,
        run_id,
        pipeline_stage,
        api_version,
        dest,
        pipeline_name,
        error_message,
        exit_code,
        records_read,
        requests,
        rate_limited_429,
        cast({{ dbt.datediff(
            'started_at', 'finished_at', 'second'
        ) }} as {{ dbt.type_bigint() }}) as duration_seconds,
        exit_code = 0 as is_success,
        started_at,
        finished_at
    from runs

)

select * from final
