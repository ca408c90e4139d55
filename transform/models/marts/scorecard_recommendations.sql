{#-
    One row per account (source_relation), interviewer and job stage, over the submitted
    scorecards of the interviews (the interviewer's own scorecard on each panel): the count per
    overall recommendation, positive_share = (yes + strong_yes) / scorecards with a decision
    (no_decision left out), and its calibration: the same share on applications that were later
    hired, and on those later rejected (their current status). Shares are rounded to 4
    decimals, null without a decision to count.
-#}

with

scorecards as (

    select * from {{ ref('interviews') }}
    where scorecard_submitted_at is not null

),

counted as (

    select
        source_relation,
        interviewer_user_id,
        stage_id,
        -- a stage belongs to one job; scorecards whose stage was not read (no interview plan
        -- in the raw data) make one row per interviewer that names no job: they may be several
        case when stage_id is not null then max(job_id) end as job_id,
        max(interviewer_name) as interviewer_name,
        case when stage_id is not null then max(job_name) end as job_name,
        max(stage_name) as stage_name,
        max(stage_order) as stage_order,
        count(*) as scorecards_submitted,
        {%- for value in ['definitely_not', 'no', 'yes', 'strong_yes', 'no_decision'] %}
        sum(
            case when overall_recommendation = '{{ value }}' then 1 else 0 end
        ) as recommended_{{ value }},
        {%- endfor %}
        {%- for outcome in ['hired', 'rejected'] %}
        sum(
            case
                when
                    application_status = '{{ outcome }}'
                    and overall_recommendation in ('yes', 'strong_yes')
                    then 1
                else 0
            end
        ) as positive_{{ outcome }},
        sum(
            case
                when
                    application_status = '{{ outcome }}'
                    and overall_recommendation != 'no_decision'
                    then 1
                else 0
            end
        ) as decided_{{ outcome }},
        {%- endfor %}
        sum(
            case when overall_recommendation != 'no_decision' then 1 else 0 end
        ) as decided_total
    from scorecards
    group by 1, 2, 3

),

final as (

    select
        source_relation,
        interviewer_user_id,
        stage_id,
        job_id,
        interviewer_name,
        job_name,
        stage_name,
        cast(stage_order as {{ dbt.type_bigint() }}) as stage_order,
        cast(scorecards_submitted as {{ dbt.type_bigint() }}) as scorecards_submitted,
        {%- for value in ['definitely_not', 'no', 'yes', 'strong_yes', 'no_decision'] %}
        cast(recommended_{{ value }} as {{ dbt.type_bigint() }}) as recommended_{{ value }},
        {%- endfor %}
        {{ ratio('recommended_yes + recommended_strong_yes', 'decided_total') }} as positive_share,
        {{ ratio('positive_hired', 'decided_hired') }} as positive_share_hired,
        {{ ratio('positive_rejected', 'decided_rejected') }} as positive_share_rejected
    from counted

)

select * from final
