SET search_path TO news, public;
