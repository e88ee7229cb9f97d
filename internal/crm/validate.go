package crm
