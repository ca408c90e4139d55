{#-
    One row per account (source_relation), interviewer and ISO week (Monday) of interview
    start, over the interviews that were not cancelled (status skipped): interviews, interview
    hours, scorecards submitted, the share of them submitted within 24 hours of the interview's
    end, and the median hours from interview end to scorecard (an even count takes the mean of
    the two middle values). An interviewer is a user of one account: accounts never mix.
-#}

with

interviews as (

    select * from {{ ref('interviews') }}
    where interview_status != 'skipped'

),

weekly as (

    select
        source_relation,
        interviewer_user_id,
        interviewer_name,
        {{ iso_week_start('starts_at') }} as week_start_date,
        duration_minutes,
        hours_to_scorecard,
        scorecard_submitted_at
    from interviews
    where starts_at is not null

),

aggregated as (

    select
        source_relation,
        interviewer_user_id,
        week_start_date,
        max(interviewer_name) as interviewer_name,
        count(*) as interviews_scheduled,
        sum(duration_minutes) as interview_minutes,
        count(scorecard_submitted_at) as scorecards_submitted,
        sum(
            case when hours_to_scorecard <= 24 then 1 else 0 end
        ) as scorecards_within_24h,
        {{ median('hours_to_scorecard') }} as median_hours_to_scorecard
    from weekly
    group by 1, 2, 3

),

final as (

    select
        source_relation,
        interviewer_user_id,
        interviewer_name,
        cast(interviews_scheduled as {{ dbt.type_bigint() }}) as interviews_scheduled,
        {{ ratio('interview_minutes', 60) }} as interview_hours,
        cast(scorecards_submitted as {{ dbt.type_bigint() }}) as scorecards_submitted,
        cast(scorecards_within_24h as {{ dbt.type_bigint() }}) as scorecards_within_24h,
        {{ ratio('scorecards_within_24h', 'scorecards_submitted') }} as within_24h_share,
        cast(median_hours_to_scorecard as numeric(28, 6)) as median_hours_to_scorecard,
        week_start_date
    from aggregated

)

select * from final
