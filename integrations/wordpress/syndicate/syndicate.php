<?php
/**
 * Plugin Name: Syndicate
 * Description: Sends a signed webhook to Syndicate when a post is published, updated, unpublished or trashed.
 * Version: 0.1.0
 * License: MIT
 *
 * Configure in wp-config.php:
 *   define( 'SYNDICATE_URL', 'https://syndicate.example.com/hooks/wordpress' );
 *   define( 'SYNDICATE_SECRET', 'one of the secrets in SYNDICATE_WEBHOOK_SECRETS' );
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

add_action( 'transition_post_status', 'syndicate_transition', 10, 3 );

/**
 * Publish (anything -> publish), update (publish -> publish) and unpublish (publish -> anything,
 * trash included) are sent; drafts, autosaves and revisions never leave WordPress.
 */
function syndicate_transition( $new_status, $old_status, $post ) {
	if ( 'post' !== $post->post_type ) {
		return;
	}
	if ( wp_is_post_autosave( $post ) || wp_is_post_revision( $post ) ) {
		return;
	}
	if ( 'publish' !== $new_status && 'publish' !== $old_status ) {
		return;
	}
	syndicate_queue( $post->ID );
}

/**
 * One webhook per post per request, sent at shutdown so that terms and featured media saved
 * later in the same request are included (the block editor saves in several steps).
 */
function syndicate_queue( $post_id ) {
	static $queued = array();
	if ( isset( $queued[ $post_id ] ) ) {
		return;
	}
	$queued[ $post_id ] = true;
	add_action(
		'shutdown',
		function () use ( $post_id ) {
			syndicate_send( $post_id );
		}
	);
}

function syndicate_send( $post_id ) {
	if ( ! defined( 'SYNDICATE_URL' ) || ! defined( 'SYNDICATE_SECRET' ) ) {
		return;
	}
	$post = get_post( $post_id );
	if ( $post && 'publish' === $post->post_status ) {
		$request = new WP_REST_Request( 'GET', '/wp/v2/posts/' . $post_id );
		$request->set_query_params( array( '_embed' => '1' ) );
		$response = rest_do_request( $request );
		$data     = rest_get_server()->response_to_data( $response, true );
	} else {
		// Not public any more: Syndicate needs the id, the new status and when it changed,
		// so that an older publish arriving later cannot bring the post back.
		$data = array(
			'id'           => $post_id,
			'status'       => $post ? $post->post_status : 'trash',
			'modified_gmt' => $post ? mysql_to_rfc3339( $post->post_modified_gmt ) : gmdate( 'Y-m-d\\TH:i:s' ),
		);
	}
	$body      = wp_json_encode( $data );
	$timestamp = time();
	$signature = 't=' . $timestamp . ',v1=' . hash_hmac( 'sha256', $timestamp . '.' . $body, SYNDICATE_SECRET );
	wp_remote_post(
		SYNDICATE_URL,
		array(
			'headers'  => array(
				'Content-Type'        => 'application/json',
				// Syndicate knows a delivery by the signed body: the same content sent again
				// is answered as a repeat.
				'Syndicate-Signature' => $signature,
			),
			'body'     => $body,
			'timeout'  => 5,
			'blocking' => false,
		)
	);
}
