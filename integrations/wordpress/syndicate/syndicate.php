<?php
/**
 * Plugin Name: Syndicate
 * Description: Tells Syndicate when a post is published, updated, unpublished or trashed (signed, queued and retried until Syndicate has it), and prints Syndicate's card tags and share buttons.
 * Version: 0.3.0
 * License: MIT
 *
 * Settings → Syndicate holds the service's address, the webhook secret and the post types to
 * send. SYNDICATE_URL and SYNDICATE_SECRET in wp-config.php, where defined, win over them.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

require_once __DIR__ . '/includes/settings.php';
require_once __DIR__ . '/includes/queue.php';
require_once __DIR__ . '/includes/fragments.php';
require_once __DIR__ . '/includes/syndication.php';

add_action( 'transition_post_status', 'syndicate_transition', 10, 3 );

/**
 * Publish (anything -> publish), update (publish -> publish) and unpublish (publish -> anything,
 * trash included) are sent; drafts, autosaves and revisions never leave WordPress.
 */
function syndicate_transition( $new_status, $old_status, $post ) {
	if ( ! in_array( $post->post_type, syndicate_post_types(), true ) ) {
		return;
	}
	if ( wp_is_post_autosave( $post ) || wp_is_post_revision( $post ) ) {
		return;
	}
	if ( 'publish' !== $new_status && 'publish' !== $old_status ) {
		return;
	}
	syndicate_notice_at_shutdown( $post->ID );
}

/**
 * One notification per post per request, built at shutdown so that terms and featured media
 * saved later in the same request are included (the block editor saves in several steps).
 */
function syndicate_notice_at_shutdown( $post_id ) {
	static $noted = array();
	if ( isset( $noted[ $post_id ] ) ) {
		return;
	}
	$noted[ $post_id ] = true;
	add_action(
		'shutdown',
		function () use ( $post_id ) {
			$id = syndicate_enqueue( syndicate_body( $post_id ), $post_id );
			if ( function_exists( 'fastcgi_finish_request' ) ) {
				fastcgi_finish_request(); // the editor has their answer; the send happens after
			}
			syndicate_deliver( $id, 3 ); // a short first try: WP-Cron retries a slow Syndicate
		}
	);
}

/**
 * What Syndicate is told of the post: its REST API object while it is published, or only its
 * id, status and time of change once it is not (so an older publish arriving later cannot
 * bring it back).
 */
function syndicate_body( $post_id ) {
	$post = get_post( $post_id );
	if ( $post && 'publish' === $post->post_status ) {
		$request = new WP_REST_Request( 'GET', syndicate_rest_route( $post ) );
		$request->set_query_params( array( '_embed' => '1' ) );
		$response = rest_do_request( $request );
		return rest_get_server()->response_to_data( $response, true );
	}
	return array(
		'id'           => $post_id,
		'status'       => $post ? $post->post_status : 'trash',
		'modified_gmt' => $post ? mysql_to_rfc3339( $post->post_modified_gmt ) : gmdate( 'Y-m-d\\TH:i:s' ),
	);
}

function syndicate_rest_route( $post ) {
	$type = get_post_type_object( $post->post_type );
	$base = ( $type && ! empty( $type->rest_base ) ) ? $type->rest_base : 'posts';
	return '/wp/v2/' . $base . '/' . $post->ID;
}
