-- Unpartitioned model in the same dbt project: lands in the unpartitioned dbt multi-asset.
select * from (values ('placed', 'Placed'), ('shipped', 'Shipped')) as t(status, label)
