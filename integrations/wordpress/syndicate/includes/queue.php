<?php
/**
 * Every notification is kept (one option each, not autoloaded) until Syndicate has answered
 * with a 2xx. It is tried at once, then again by WP-Cron with exponential backoff, for two
 * days. Its delivery id travels inside the signed body, so a retry Syndicate already has is
 * answered as a repeat and never stored twice.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'SYNDICATE_QUEUE_PREFIX', 'syndicate_queued_' );
define( 'SYNDICATE_GIVE_UP_SECONDS', 2 * DAY_IN_SECONDS );

add_action( 'syndicate_deliver', 'syndicate_deliver' );

function syndicate_enqueue( $data, $post_id ) {
	$id                        = wp_generate_uuid4();
	$data['syndicate_delivery'] = 'wordpress-' . $id;
	add_option(
		SYNDICATE_QUEUE_PREFIX . $id,
		array(
			'post_id'  => $post_id,
			'body'     => wp_json_encode( $data ),
			'attempts' => 0,
			'queued'   => time(),
			'error'    => '',
		),
		'',
		'no'
	);
	return $id;
}

/** Seconds before the next try: doubling from the base, at most 15 minutes, with jitter. */
function syndicate_backoff( $attempts ) {
	$base = defined( 'SYNDICATE_RETRY_BASE_SECONDS' ) ? SYNDICATE_RETRY_BASE_SECONDS : 30;
	$wait = min( 15 * MINUTE_IN_SECONDS, $base * pow( 2, max( 0, $attempts - 1 ) ) );
	return (int) ceil( $wait / 2 + wp_rand( 0, (int) ceil( $wait / 2 ) ) );
}

function syndicate_deliver( $id, $timeout = 10 ) {
	$key  = SYNDICATE_QUEUE_PREFIX . $id;
	$item = get_option( $key );
	if ( ! is_array( $item ) ) {
		return; // delivered already
	}
	$answer = syndicate_post_signed( syndicate_hook_url(), $item['body'], $timeout );
	if ( ! is_wp_error( $answer ) ) {
		$code = (int) wp_remote_retrieve_response_code( $answer );
		if ( $code >= 200 && $code < 300 ) {
			delete_option( $key );
			return;
		}
		$item['error'] = 'HTTP ' . $code . ': ' . substr( wp_remote_retrieve_body( $answer ), 0, 300 );
	} else {
		$item['error'] = $answer->get_error_message();
	}
	++$item['attempts'];
	if ( time() - $item['queued'] > SYNDICATE_GIVE_UP_SECONDS ) {
		delete_option( $key );
		error_log( 'Syndicate: gave up on post ' . $item['post_id'] . ' after two days: ' . $item['error'] );
		return;
	}
	update_option( $key, $item, 'no' );
	wp_schedule_single_event( time() + syndicate_backoff( $item['attempts'] ), 'syndicate_deliver', array( $id ) );
}

/** The notifications still waiting for Syndicate, oldest first. */
function syndicate_waiting() {
	global $wpdb;
	$names = $wpdb->get_col(
		$wpdb->prepare(
			"SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE %s ORDER BY option_id",
			$wpdb->esc_like( SYNDICATE_QUEUE_PREFIX ) . '%'
		)
	);
	$waiting = array();
	foreach ( $names as $name ) {
		$item = get_option( $name );
		if ( is_array( $item ) ) {
			$waiting[ substr( $name, strlen( SYNDICATE_QUEUE_PREFIX ) ) ] = $item;
		}
	}
	return $waiting;
}

/** POST a JSON body signed as Syndicate's generic webhook is: t=<time>,v1=HMAC(t.body). */
function syndicate_post_signed( $url, $body, $timeout = 10 ) {
	$secret = syndicate_secret();
	if ( '' === $url || '' === $secret ) {
		return new WP_Error( 'syndicate_unconfigured', 'Syndicate\'s address or secret is not set' );
	}
	$timestamp = time();
	$signature = 't=' . $timestamp . ',v1=' . hash_hmac( 'sha256', $timestamp . '.' . $body, $secret );
	return wp_remote_post(
		$url,
		array(
			'headers' => array(
				'Content-Type'        => 'application/json',
				'Syndicate-Signature' => $signature,
			),
			'body'    => $body,
			'timeout' => $timeout,
		)
	);
}
