-- The hub confirmed our intent (or denied the subscription).
UPDATE news.feeds SET websub_state = %(state)s,
       websub_lease_until = CASE WHEN %(lease)s::integer IS NULL THEN NULL
                                 ELSE now() + make_interval(secs => %(lease)s::integer) END,
       websub_error = %(error)s
WHERE id = %(id)s
