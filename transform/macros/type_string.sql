{#
    dbt.type_string() on Redshift: dbt-redshift's is `text`, which Redshift takes as
    varchar(256), so a cast to it cuts (or refuses) a longer name or note. varchar(65535) is
    Redshift's longest (its varchar(max)), as the marts' contracts declare. Found through the
    project's dispatch search order for dbt's macros (dbt_project.yml).
#}
{% macro redshift__type_string() -%}
    varchar(65535)
{%- endmacro %}
