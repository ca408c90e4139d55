{#-
    The recruiting funnel by EEOC self-identification, for candidate applications (prospects
    left out), at two levels: per job (steps applied, each stage of the job reached, offered,
    hired) and per department (applied, offered, hired). A cell is one EEOC category x value x
    job (or department); its size is its applications. Cells smaller than
    var('greenhouse_diversity_min_cell') are hidden (applications null, is_suppressed) and
    counted in the group's 'suppressed' row, with complementary suppression
    (macros/suppress_small_cells.sql); a department cell is also hidden when any job cell of
    that value in the department is. Applications without an EEOC response, and skipped
    questions, are 'not answered'. Stage reached: v3 from the stage history, v1 by stage order
    (as applications_by_stage). Per account (source_relation): every cell, suppression decision
    and 'suppressed' row is within one account, whose ids are its own. Built only when EEOC is
    enabled.
-#}
{{ config(enabled=greenhouse_eeoc_enabled()) }}
{%- set min_cell = greenhouse_diversity_min_cell() %}
{%- set categories = {
    'gender': 'gender',
    'race': 'race',
    'veteran': 'veteran_status',
    'disability': 'disability_status',
} %}
{%- set group_by = ['source_relation', 'funnel_level', 'group_id', 'eeoc_category'] %}

with

applications as (

    select * from {{ ref('int_applications_dated') }}
    where not is_prospect and job_id is not null

),

eeoc as (

    select * from {{ ref('stg_greenhouse__eeoc') }}

),

jobs as (

    select * from {{ ref('jobs') }}

),

departments as (

    select * from {{ ref('stg_greenhouse__departments') }}

),

stages as (

    select * from {{ ref('stg_greenhouse__job_interview_stages') }}

),

-- read with either API version (empty for v1) so the model's inputs do not depend on it
application_stages as (  -- noqa: ST03

    select * from {{ ref('stg_greenhouse__application_stages') }}

),

{%- if greenhouse_api_version() == 'v1' %}

reached as (

    select
        applications.source_relation,
        applications.application_id,
        stages.stage_id
    from applications
    inner join stages as current_stages
        on
            applications.source_relation = current_stages.source_relation
            and applications.current_stage_id = current_stages.stage_id
    inner join stages
        on
            current_stages.source_relation = stages.source_relation
            and current_stages.job_id = stages.job_id
            and current_stages.stage_order >= stages.stage_order

),
{%- else %}

reached as (

    select distinct
        application_stages.source_relation,
        application_stages.application_id,
        application_stages.stage_id
    from application_stages
    inner join applications
        on
            application_stages.source_relation = applications.source_relation
            and application_stages.application_id = applications.application_id
    where application_stages.entered_at is not null

),
{%- endif %}

-- one row per application and EEOC category: the canonical value, or 'not answered'
answers as (
    {%- for category, column in categories.items() %}

    select
        applications.source_relation,
        applications.application_id,
        '{{ category }}' as eeoc_category,
        coalesce(eeoc.{{ column }}, 'not answered') as eeoc_value,
        case when eeoc.{{ column }} is null then 0 else eeoc.{{ column }}_answer_id end
            as value_rank
    from applications
    left join eeoc
        on
            applications.source_relation = eeoc.source_relation
            and applications.application_id = eeoc.application_id
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

-- every application once per level (group_id: the job, or the department, 0 for none)
placed as (

    select
        applications.source_relation,
        applications.application_id,
        'job' as funnel_level,
        applications.job_id as group_id,
        applications.job_id,
        jobs.department_id
    from applications
    left join jobs
        on
            applications.source_relation = jobs.source_relation
            and applications.job_id = jobs.job_id

    union all

    select
        applications.source_relation,
        applications.application_id,
        'department' as funnel_level,
        coalesce(jobs.department_id, 0) as group_id,
        cast(null as {{ dbt.type_bigint() }}) as job_id,
        jobs.department_id
    from applications
    left join jobs
        on
            applications.source_relation = jobs.source_relation
            and applications.job_id = jobs.job_id

),

placed_answers as (

    select
        placed.source_relation,
        placed.funnel_level,
        placed.group_id,
        placed.job_id,
        placed.department_id,
        answers.application_id,
        answers.eeoc_category,
        answers.eeoc_value,
        answers.value_rank
    from answers
    inner join placed
        on
            answers.source_relation = placed.source_relation
            and answers.application_id = placed.application_id

),

outcome_steps as (

    select 'applied' as funnel_step
    union all
    select 'offered' as funnel_step
    union all
    select 'hired' as funnel_step

),

steps_taken as (

    select
        source_relation,
        application_id,
        'applied' as funnel_step,
        cast(null as {{ dbt.type_bigint() }}) as stage_id
    from applications

    union all

    select
        source_relation,
        application_id,
        'stage' as funnel_step,
        stage_id
    from reached

    union all

    select
        source_relation,
        application_id,
        'offered' as funnel_step,
        cast(null as {{ dbt.type_bigint() }}) as stage_id
    from applications
    where current_offer_id is not null

    union all

    select
        source_relation,
        application_id,
        'hired' as funnel_step,
        cast(null as {{ dbt.type_bigint() }}) as stage_id
    from applications
    where status = 'hired'

),

counts as (

    select
        placed_answers.source_relation,
        placed_answers.funnel_level,
        placed_answers.group_id,
        placed_answers.eeoc_category,
        placed_answers.eeoc_value,
        steps_taken.funnel_step,
        coalesce(steps_taken.stage_id, 0) as step_key,
        count(*) as applications
    from placed_answers
    inner join steps_taken
        on
            placed_answers.source_relation = steps_taken.source_relation
            and placed_answers.application_id = steps_taken.application_id
    where placed_answers.funnel_level = 'job' or steps_taken.funnel_step <> 'stage'
    group by 1, 2, 3, 4, 5, 6, 7

),

job_cells as (

    select
        source_relation,
        funnel_level,
        group_id,
        job_id,
        department_id,
        eeoc_category,
        eeoc_value,
        value_rank,
        count(*) as cell_size,
        count(*) < {{ min_cell }} as is_primary
    from placed_answers
    where funnel_level = 'job'
    group by 1, 2, 3, 4, 5, 6, 7, 8

),

job_decided as (

    {{ suppress_small_cells('job_cells', group_by, min_cell) }}

),

-- a department hides every value one of its jobs hides: else that job's cell would be a
-- subtraction away (department minus the department's other, visible job cells)
department_forced as (

    select
        source_relation,
        eeoc_category,
        eeoc_value,
        coalesce(department_id, 0) as group_id,
        max(case when is_suppressed then 1 else 0 end) as has_hidden_job_cell
    from job_decided
    group by 1, 2, 3, 4

),

department_cells as (

    select
        placed_answers.source_relation,
        placed_answers.funnel_level,
        placed_answers.group_id,
        placed_answers.job_id,
        placed_answers.department_id,
        placed_answers.eeoc_category,
        placed_answers.eeoc_value,
        placed_answers.value_rank,
        count(*) as cell_size,
        (count(*) < {{ min_cell }} or max(department_forced.has_hidden_job_cell) = 1)
            as is_primary
    from placed_answers
    inner join department_forced
        on
            placed_answers.source_relation = department_forced.source_relation
            and placed_answers.group_id = department_forced.group_id
            and placed_answers.eeoc_category = department_forced.eeoc_category
            and placed_answers.eeoc_value = department_forced.eeoc_value
    where placed_answers.funnel_level = 'department'
    group by 1, 2, 3, 4, 5, 6, 7, 8

),

department_decided as (

    {{ suppress_small_cells('department_cells', group_by, min_cell) }}

),

decided as (

    select
        source_relation,
        funnel_level,
        group_id,
        job_id,
        department_id,
        eeoc_category,
        eeoc_value,
        is_suppressed
    from job_decided

    union all

    select
        source_relation,
        funnel_level,
        group_id,
        job_id,
        department_id,
        eeoc_category,
        eeoc_value,
        is_suppressed
    from department_decided

),

-- the steps of each group, a full grid (a row's presence tells nothing): applied, offered and
-- hired everywhere, and the stages of the job on the job level
group_steps as (

    select distinct
        decided.source_relation,
        decided.funnel_level,
        decided.group_id,
        outcome_steps.funnel_step,
        cast(null as {{ dbt.type_bigint() }}) as stage_id
    from decided
    cross join outcome_steps

    union all

    select distinct
        decided.source_relation,
        decided.funnel_level,
        decided.group_id,
        'stage' as funnel_step,
        stages.stage_id
    from decided
    inner join stages
        on
            decided.source_relation = stages.source_relation
            and decided.job_id = stages.job_id
    where decided.funnel_level = 'job'

),

cell_steps as (

    select
        decided.source_relation,
        decided.funnel_level,
        decided.group_id,
        decided.job_id,
        decided.department_id,
        decided.eeoc_category,
        decided.eeoc_value,
        group_steps.funnel_step,
        group_steps.stage_id,
        decided.is_suppressed,
        coalesce(counts.applications, 0) as applications
    from decided
    inner join group_steps
        on
            decided.source_relation = group_steps.source_relation
            and decided.funnel_level = group_steps.funnel_level
            and decided.group_id = group_steps.group_id
    left join counts
        on
            decided.source_relation = counts.source_relation
            and decided.funnel_level = counts.funnel_level
            and decided.group_id = counts.group_id
            and decided.eeoc_category = counts.eeoc_category
            and decided.eeoc_value = counts.eeoc_value
            and group_steps.funnel_step = counts.funnel_step
            and coalesce(group_steps.stage_id, 0) = counts.step_key

),

-- per group and step, the hidden cells together
suppressed_rows as (

    select
        source_relation,
        funnel_level,
        group_id,
        job_id,
        department_id,
        eeoc_category,
        'suppressed' as eeoc_value,
        funnel_step,
        stage_id,
        false as is_suppressed,
        sum(applications) as applications
    from cell_steps
    where is_suppressed
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10

),

funnel as (

    select
        source_relation,
        funnel_level,
        group_id,
        job_id,
        department_id,
        eeoc_category,
        eeoc_value,
        funnel_step,
        stage_id,
        is_suppressed,
        case when not is_suppressed then applications end as applications
    from cell_steps

    union all

    select
        source_relation,
        funnel_level,
        group_id,
        job_id,
        department_id,
        eeoc_category,
        eeoc_value,
        funnel_step,
        stage_id,
        is_suppressed,
        applications
    from suppressed_rows

),

final as (

    select
        cast(funnel.source_relation as {{ dbt.type_string() }}) as source_relation,
        {{ dbt.concat([
            'funnel.funnel_level', "'-'",
            'cast(funnel.group_id as ' ~ dbt.type_string() ~ ')', "'-'",
            'funnel.eeoc_category', "'-'",
            'funnel.eeoc_value', "'-'",
            'funnel.funnel_step', "'-'",
            'cast(coalesce(funnel.stage_id, 0) as ' ~ dbt.type_string() ~ ')',
        ]) }} as diversity_funnel_id,
        cast(funnel.job_id as {{ dbt.type_bigint() }}) as job_id,
        cast(funnel.department_id as {{ dbt.type_bigint() }}) as department_id,
        cast(funnel.stage_id as {{ dbt.type_bigint() }}) as stage_id,
        cast(funnel.funnel_level as {{ dbt.type_string() }}) as funnel_level,
        cast(funnel.eeoc_category as {{ dbt.type_string() }}) as eeoc_category,
        cast(funnel.eeoc_value as {{ dbt.type_string() }}) as eeoc_value,
        cast(funnel.funnel_step as {{ dbt.type_string() }}) as funnel_step,
        cast(jobs.job_name as {{ dbt.type_string() }}) as job_name,
        cast(departments.department_name as {{ dbt.type_string() }}) as department_name,
        cast(stages.stage_name as {{ dbt.type_string() }}) as stage_name,
        cast(stages.stage_order as {{ dbt.type_bigint() }}) as stage_order,
        cast(funnel.applications as {{ dbt.type_bigint() }}) as applications,
        cast(funnel.is_suppressed as {{ dbt.type_boolean() }}) as is_suppressed
    from funnel
    left join jobs
        on
            funnel.source_relation = jobs.source_relation
            and funnel.job_id = jobs.job_id
    left join departments
        on
            funnel.source_relation = departments.source_relation
            and funnel.department_id = departments.department_id
    left join stages
        on
            funnel.source_relation = stages.source_relation
            and funnel.stage_id = stages.stage_id

)

select * from final
